/**
 * Deleting a gateway (event or API) removes its peerings on the remote side too, and the remote
 * side's road-warrior configs stop routing its VPC. The cascade runs from the table's stream,
 * asynchronously: every expectation is polled with a bound. The cascades start from an ACTIVE
 * peering, so they run only where the target's gateways apply pushes (whenPushesApply).
 */
import {
  assertNoSecretLeaked,
  eventually,
  peer,
  peersOf,
  useTarget,
  whenPushesApply,
} from '../support/integration';

const { target, client, newGateway } = useTarget();

async function peeredPairWithRoadWarrior() {
  const doomed = await newGateway('alice');
  const survivor = await newGateway('alice');
  const added = await client.call('POST', `/v1/gateways/${survivor.id}/peers`, {
    token: target.tokens.alice,
    body: { name: 'roamer' },
  });
  expect(added.status).toBe(201);
  const peering = await peer(client, target.tokens.alice, survivor.id, doomed.id);
  expect(peering.status).toBe('ACTIVE');
  return { doomed, survivor, peering };
}

async function allowedIpsOfRoamer(gatewayId: string): Promise<string | undefined> {
  const config = await client.call('GET', `/v1/gateways/${gatewayId}/peers/roamer/config`, {
    token: target.tokens.alice,
  });
  return /^AllowedIPs = (.*)$/m.exec(config.text)?.[1];
}

async function expectCleanedUp(
  doomed: { id: string },
  survivor: Record<string, unknown> & { id: string },
  peeringId: string,
) {
  await eventually("the remote side's vpc-peering peer to be removed", async () => {
    const peers = await peersOf(client, target.tokens.alice, survivor.id);
    return peers.every((p) => p.type !== 'vpc-peering') ? true : undefined;
  });
  await eventually('the peering to be gone', async () => {
    const reply = await client.call('GET', `/v1/vpc-peerings/${peeringId}`, { token: target.tokens.alice });
    return reply.status === 404 ? true : undefined;
  });
  expect((await client.call('GET', `/v1/gateways/${doomed.id}`, { token: target.tokens.alice })).status).toBe(
    404,
  );
  expect(await allowedIpsOfRoamer(survivor.id)).toBe(`${survivor.vpcCidr}, ${survivor.tunnelSubnet}`);
  expect((await peersOf(client, target.tokens.alice, survivor.id)).map((p) => p.name)).toEqual(['roamer']);
}

whenPushesApply('a "VPN Gateway Deleted" event cascades to the remote side', async () => {
  const { doomed, survivor, peering } = await peeredPairWithRoadWarrior();
  expect(await allowedIpsOfRoamer(survivor.id)).toContain(String(doomed.vpcCidr));

  await target.putEvents([
    {
      Source: 'vpn.gateways',
      DetailType: 'VPN Gateway Deleted',
      Detail: JSON.stringify({ gatewayId: doomed.id }),
    },
  ]);

  await eventually('the gateway to be deleted', async () => {
    const reply = await client.call('GET', `/v1/gateways/${doomed.id}`, { token: target.tokens.alice });
    return reply.status === 404 ? true : undefined;
  });
  await expectCleanedUp(doomed, survivor, peering.id);
});

whenPushesApply('DELETE /v1/gateways/{id} cascades the same way', async () => {
  const { doomed, survivor, peering } = await peeredPairWithRoadWarrior();

  const reply = await client.call('DELETE', `/v1/gateways/${doomed.id}`, { token: target.tokens.alice });

  expect([202, 204]).toContain(reply.status);
  await expectCleanedUp(doomed, survivor, peering.id);
});

test('an event for an unknown gateway is accepted and changes nothing', async () => {
  const bystander = await newGateway('alice');

  await target.putEvents([
    {
      Source: 'vpn.gateways',
      DetailType: 'VPN Gateway Deleted',
      Detail: JSON.stringify({ gatewayId: 'gw-unknown' }),
    },
  ]);

  expect(
    (await client.call('GET', `/v1/gateways/${bystander.id}`, { token: target.tokens.alice })).status,
  ).toBe(200);
});

test('no secret appears in any JSON response of this file', async () => {
  await assertNoSecretLeaked(client, target);
});
