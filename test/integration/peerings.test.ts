/**
 * VPC peering routes: both sides set up and torn down, every prerequisite check in order, races,
 * idempotency. Tests whose subject is an applied push run only where the target's gateways apply
 * pushes (whenPushesApply); what a create ends as elsewhere is unapplied-pushes.test.ts's subject.
 */
import {
  assertNoSecretLeaked,
  eventually,
  isThisFilesPeering,
  listAll,
  peer,
  peeringGone,
  peersOf,
  RUN,
  useTarget,
  whenPushesApply,
} from '../support/integration';

const { target, client, newGateway } = useTarget();

async function createCall(
  token: string,
  gatewayId: string,
  remoteGatewayId: string,
  headers?: Record<string, string>,
) {
  return client.call('POST', `/v1/gateways/${gatewayId}/vpc-peerings`, {
    token,
    body: { remoteGatewayId },
    headers,
  });
}

async function peeringIdsSeenBy(token: string): Promise<string[]> {
  return (await listAll(client, token, '/v1/vpc-peerings')).map((peering: { id: string }) => peering.id);
}

/** This file's peerings an admin sees: other files' work on a shared deployment leaves it as it is. */
async function thisFilesPeeringIds(): Promise<string[]> {
  return (await listAll(client, target.tokens.admin, '/v1/vpc-peerings'))
    .filter(isThisFilesPeering)
    .map((peering: { id: string }) => peering.id);
}

describe('creating a peering', () => {
  whenPushesApply('sets up both sides: peers, allowed IPs, endpoints, tunnel addresses, ACTIVE', async () => {
    const a = await newGateway('alice');
    const b = await newGateway('alice');

    const peering = await peer(client, target.tokens.alice, a.id, b.id);

    expect(peering).toMatchObject({ status: 'ACTIVE', gatewayIds: [a.id, b.id] });
    expect(peering.id).toMatch(/^pcx-[0-9a-f]{16}$/);
    const sides = peering.sides as { gatewayId: string; peerName: string; applied: boolean }[];
    expect(sides.map((side) => side.applied)).toEqual([true, true]);
    const peerName = `vpc-peering-${peering.id}`;
    expect(await peersOf(client, target.tokens.alice, a.id)).toEqual([
      expect.objectContaining({
        name: peerName,
        type: 'vpc-peering',
        peeringId: peering.id,
        remoteGatewayId: b.id,
        publicKey: b.publicKey,
        allowedIps: [b.vpcCidr, b.tunnelSubnet],
        endpoint: `${b.publicIp}:51820`,
      }),
    ]);
    expect(await peersOf(client, target.tokens.alice, b.id)).toEqual([
      expect.objectContaining({
        name: peerName,
        remoteGatewayId: a.id,
        allowedIps: [a.vpcCidr, a.tunnelSubnet],
      }),
    ]);
  });

  test('the peering is listed and readable by its owner and an admin (with its owner), 404 for another user', async () => {
    const a = await newGateway('alice');
    const peering = await peer(client, target.tokens.alice, a.id, (await newGateway('alice')).id);

    const byBob = await client.call('GET', `/v1/vpc-peerings/${peering.id}`, { token: target.tokens.bob });
    const byAdmin = await client.call('GET', `/v1/vpc-peerings/${peering.id}`, {
      token: target.tokens.admin,
    });

    expect(await peeringIdsSeenBy(target.tokens.alice)).toContain(peering.id);
    expect(await peeringIdsSeenBy(target.tokens.bob)).not.toContain(peering.id);
    expect(await peeringIdsSeenBy(target.tokens.admin)).toContain(peering.id);
    expect(byBob.status).toBe(404);
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.json).toMatchObject({ id: peering.id, ownerId: a.ownerId });
  });

  test("naming another user's gateway is 404 either way round, and nothing is created", async () => {
    const alices = await newGateway('alice');
    const bobs = await newGateway('bob');
    const before = await thisFilesPeeringIds();

    const remoteNotVisible = await createCall(target.tokens.alice, alices.id, bobs.id);
    const localNotVisible = await createCall(target.tokens.bob, alices.id, bobs.id);

    expect(remoteNotVisible.status).toBe(404);
    expect(localNotVisible.status).toBe(404);
    expect(await thisFilesPeeringIds()).toEqual(before);
  });

  test("an admin peering two owners' gateways gets 409 OWNER_MISMATCH", async () => {
    const alices = await newGateway('alice');
    const bobs = await newGateway('bob');

    const reply = await createCall(target.tokens.admin, alices.id, bobs.id);

    expect(reply.status).toBe(409);
    expect(reply.json.error).toEqual({
      code: 'OWNER_MISMATCH',
      message: 'Both gateways must belong to the same user',
    });
  });

  test('a gateway that is not ACTIVE is 409 GATEWAY_NOT_ACTIVE', async () => {
    const reply = await createCall(
      target.tokens.alice,
      (await newGateway('alice')).id,
      (await newGateway('alice', { status: 'PENDING' })).id,
    );

    expect(reply.status).toBe(409);
    expect(reply.json.error.code).toBe('GATEWAY_NOT_ACTIVE');
  });

  test.each([
    ['an empty object', {}],
    ['a wrong type', { remoteGatewayId: 7 }],
    ['an unknown field', { remoteGatewayId: 'gw-x', force: true }],
    ['an injected id', { remoteGatewayId: 'gw-x\n[Peer]' }],
  ])('%s is 400 and creates nothing', async (_what, body) => {
    const a = await newGateway('alice');
    const before = await thisFilesPeeringIds();

    const reply = await client.call('POST', `/v1/gateways/${a.id}/vpc-peerings`, {
      token: target.tokens.alice,
      body,
    });

    expect(reply.status).toBe(400);
    expect(reply.json.error.code).toBe('VALIDATION_ERROR');
    expect(await thisFilesPeeringIds()).toEqual(before);
  });
});

describe('prerequisites, in docs/CONTRACT.md#prerequisites order', () => {
  // Every pair below also fails the checks after the one expected: the first in order must win.
  test('same VPC (whose CIDRs and tunnels also overlap) is SAME_VPC', async () => {
    const a = await newGateway('alice');
    const b = await newGateway('alice', { vpcId: a.vpcId, vpcCidr: a.vpcCidr, tunnelSubnet: a.tunnelSubnet });

    const reply = await createCall(target.tokens.alice, a.id, b.id);

    expect(reply.status).toBe(409);
    expect(reply.json.error).toEqual({ code: 'SAME_VPC', message: 'Cannot peer gateways in the same VPC' });
  });

  test('overlapping VPC CIDRs (tunnels overlapping too) is VPC_CIDRS_OVERLAP', async () => {
    const a = await newGateway('alice');
    const b = await newGateway('alice', {
      vpcCidr: a.vpcCidr.replace('/16', '/20'),
      tunnelSubnet: a.tunnelSubnet,
    });

    const reply = await createCall(target.tokens.alice, a.id, b.id);

    expect(reply.status).toBe(409);
    expect(reply.json.error).toEqual({
      code: 'VPC_CIDRS_OVERLAP',
      message: 'The VPC CIDRs of the two gateways overlap',
    });
  });

  test('overlapping tunnel subnets (one also covering the remote VPC) is TUNNEL_SUBNETS_OVERLAP', async () => {
    const a = await newGateway('alice', { vpcCidr: '172.28.2.0/24', tunnelSubnet: '172.28.0.0/24' });
    const b = await newGateway('alice', { vpcCidr: '172.30.0.0/16', tunnelSubnet: '172.28.0.0/22' });

    const reply = await createCall(target.tokens.alice, a.id, b.id);

    expect(reply.status).toBe(409);
    expect(reply.json.error).toEqual({
      code: 'TUNNEL_SUBNETS_OVERLAP',
      message: 'The tunnel subnets of the two gateways overlap',
    });
  });

  test('a tunnel subnet inside the remote VPC is TUNNEL_SUBNET_OVERLAPS_REMOTE_VPC', async () => {
    const a = await newGateway('alice', { vpcCidr: '10.201.0.0/16', tunnelSubnet: '172.29.0.0/24' });
    const b = await newGateway('alice', { vpcCidr: '172.29.0.0/16', tunnelSubnet: '172.27.5.0/24' });

    const reply = await createCall(target.tokens.alice, a.id, b.id);

    expect(reply.status).toBe(409);
    expect(reply.json.error).toEqual({
      code: 'TUNNEL_SUBNET_OVERLAPS_REMOTE_VPC',
      message: 'A tunnel subnet overlaps with the remote VPC CIDR',
    });
  });

  whenPushesApply(
    'a second peering of the same pair, from either side, is PEERING_ALREADY_EXISTS',
    async () => {
      const a = await newGateway('alice');
      const b = await newGateway('alice');
      await peer(client, target.tokens.alice, a.id, b.id);

      const sameSide = await createCall(target.tokens.alice, a.id, b.id);
      const otherSide = await createCall(target.tokens.alice, b.id, a.id);

      for (const reply of [sameSide, otherSide]) {
        expect(reply.status).toBe(409);
        expect(reply.json.error).toEqual({
          code: 'PEERING_ALREADY_EXISTS',
          message: 'A peering already exists between these gateways',
        });
      }
    },
  );

  whenPushesApply(
    'a VPC CIDR already routed through the tunnel (common ranges) is ROUTED_CIDR_CONFLICT',
    async () => {
      const hub = await newGateway('alice');
      const first = await newGateway('alice', { vpcCidr: '172.20.0.0/16' });
      const sameRange = await newGateway('alice', { vpcCidr: '172.20.0.0/16' });
      await peer(client, target.tokens.alice, hub.id, first.id);

      const reply = await createCall(target.tokens.alice, hub.id, sameRange.id);

      expect(reply.status).toBe(409);
      expect(reply.json.error.code).toBe('ROUTED_CIDR_CONFLICT');
      const candidates = await listAll(
        client,
        target.tokens.alice,
        `/v1/gateways/${hub.id}/peering-candidates`,
      );
      const candidate = candidates.find(
        (item: { gateway: { id: string } }) => item.gateway.id === sameRange.id,
      );
      expect(candidate).toMatchObject({ eligible: false, reason: reply.json.error.message });
    },
  );

  test('a remote gateway whose key a road-warrior of this gateway holds is PUBLIC_KEY_IN_USE', async () => {
    const a = await newGateway('alice');
    const b = await newGateway('alice');
    const impostor = await client.call('POST', `/v1/gateways/${a.id}/peers`, {
      token: target.tokens.alice,
      body: { name: 'impostor', publicKey: b.publicKey },
    });

    const reply = await createCall(target.tokens.alice, a.id, b.id);

    expect(impostor.status).toBe(201);
    expect(reply.status).toBe(409);
    expect(reply.json.error).toEqual({
      code: 'PUBLIC_KEY_IN_USE',
      message: 'This public key is already used by this gateway or one of its peers',
    });
    expect((await peersOf(client, target.tokens.alice, b.id)).length).toBe(0);
  });
});

describe('concurrency', () => {
  whenPushesApply('racing creates from both sides leave exactly one peering', async () => {
    const a = await newGateway('alice');
    const b = await newGateway('alice');

    const replies = await Promise.all([
      createCall(target.tokens.alice, a.id, b.id),
      createCall(target.tokens.alice, b.id, a.id),
      createCall(target.tokens.alice, a.id, b.id),
      createCall(target.tokens.alice, b.id, a.id),
    ]);

    const won = replies.filter((reply) => reply.status === 201 || reply.status === 202);
    expect(won).toHaveLength(1);
    for (const lost of replies.filter((reply) => !won.includes(reply))) {
      expect(lost.status).toBe(409);
      expect(lost.json.error.code).toBe('PEERING_ALREADY_EXISTS');
    }
    const peerings = await client.call('GET', '/v1/vpc-peerings', { token: target.tokens.alice });
    const ofPair = peerings.json.items.filter(
      (p: { gatewayIds: string[]; status: string }) =>
        p.gatewayIds.includes(a.id) && p.gatewayIds.includes(b.id) && p.status !== 'FAILED',
    );
    expect(ofPair).toHaveLength(1);
    expect(await peersOf(client, target.tokens.alice, a.id)).toHaveLength(1);
    expect(await peersOf(client, target.tokens.alice, b.id)).toHaveLength(1);
  });
});

describe('Idempotency-Key', () => {
  whenPushesApply(
    'a repeat returns the first result and creates nothing twice; another body is 409',
    async () => {
      const a = await newGateway('alice');
      const b = await newGateway('alice');
      const c = await newGateway('alice');
      const headers = { 'Idempotency-Key': `peer-${RUN}-1` };

      const first = await createCall(target.tokens.alice, a.id, b.id, headers);
      const repeat = await createCall(target.tokens.alice, a.id, b.id, headers);
      const reused = await createCall(target.tokens.alice, a.id, c.id, headers);

      expect([201, 202]).toContain(first.status);
      expect(repeat.status).toBe(first.status);
      expect(repeat.json).toEqual(first.json);
      expect(reused.status).toBe(409);
      expect(reused.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await peersOf(client, target.tokens.alice, a.id)).toHaveLength(1);
    },
  );

  whenPushesApply('the same key from another user is another request', async () => {
    const alices = [await newGateway('alice'), await newGateway('alice')];
    const bobs = [await newGateway('bob'), await newGateway('bob')];
    const headers = { 'Idempotency-Key': `peer-${RUN}-shared` };

    const byAlice = await createCall(target.tokens.alice, alices[0]?.id ?? '', alices[1]?.id ?? '', headers);
    const byBob = await createCall(target.tokens.bob, bobs[0]?.id ?? '', bobs[1]?.id ?? '', headers);

    expect([201, 202]).toContain(byAlice.status);
    expect([201, 202]).toContain(byBob.status);
    expect(byBob.json.id).not.toBe(byAlice.json.id);
  });

  whenPushesApply(
    "a create refused for its remote gateway (another owner's) leaves the key free for the corrected body",
    async () => {
      const a = await newGateway('alice');
      const b = await newGateway('alice');
      const bobs = await newGateway('bob');
      const headers = { 'Idempotency-Key': `peer-${RUN}-corrected` };

      const refused = await createCall(target.tokens.alice, a.id, bobs.id, headers);
      const corrected = await createCall(target.tokens.alice, a.id, b.id, headers);

      expect(refused.status).toBe(404);
      expect([201, 202]).toContain(corrected.status);
    },
  );

  test('a malformed key is 400', async () => {
    const reply = await createCall(
      target.tokens.alice,
      (await newGateway('alice')).id,
      (await newGateway('alice')).id,
      {
        'Idempotency-Key': 'x'.repeat(300),
      },
    );

    expect(reply.status).toBe(400);
  });
});

describe('deleting a peering', () => {
  async function deletion(reply: { status: number }, peeringId: string) {
    expect([202, 204]).toContain(reply.status);
    await peeringGone(client, target.tokens.alice, peeringId);
  }

  whenPushesApply("DELETE of the remote side's vpc-peering peer removes both sides", async () => {
    const a = await newGateway('alice');
    const b = await newGateway('alice');
    const peering = await peer(client, target.tokens.alice, a.id, b.id);

    const reply = await client.call('DELETE', `/v1/gateways/${b.id}/peers/vpc-peering-${peering.id}`, {
      token: target.tokens.alice,
    });

    await deletion(reply, peering.id);
    expect(await peersOf(client, target.tokens.alice, a.id)).toEqual([]);
    expect(await peersOf(client, target.tokens.alice, b.id)).toEqual([]);
  });

  whenPushesApply(
    'DELETE /v1/vpc-peerings/{id} removes both sides; the pair can be peered again',
    async () => {
      const a = await newGateway('alice');
      const b = await newGateway('alice');
      const peering = await peer(client, target.tokens.alice, a.id, b.id);

      const reply = await client.call('DELETE', `/v1/vpc-peerings/${peering.id}`, {
        token: target.tokens.alice,
      });

      await deletion(reply, peering.id);
      expect(await peersOf(client, target.tokens.alice, a.id)).toEqual([]);
      const again = await peer(client, target.tokens.alice, b.id, a.id);
      expect(again.status).toBe('ACTIVE');
    },
  );

  whenPushesApply(
    'another user, or a gateway outside the peering, gets 404 and the peering stays',
    async () => {
      const a = await newGateway('alice');
      const b = await newGateway('alice');
      const outsider = await newGateway('alice');
      const peering = await peer(client, target.tokens.alice, a.id, b.id);

      const byBob = await client.call('DELETE', `/v1/vpc-peerings/${peering.id}`, {
        token: target.tokens.bob,
      });
      const viaOutsider = await client.call(
        'DELETE',
        `/v1/gateways/${outsider.id}/peers/vpc-peering-${peering.id}`,
        {
          token: target.tokens.alice,
        },
      );

      expect(byBob.status).toBe(404);
      expect(viaOutsider.status).toBe(404);
      const still = await client.call('GET', `/v1/vpc-peerings/${peering.id}`, {
        token: target.tokens.alice,
      });
      expect(still.json.status).toBe('ACTIVE');
    },
  );

  test('an absent peering is 404', async () => {
    const reply = await client.call('DELETE', `/v1/vpc-peerings/pcx-${RUN}absent`, {
      token: target.tokens.admin,
    });

    expect(reply.status).toBe(404);
  });
});

whenPushesApply('gateway status shows what the instance applied after a peering', async () => {
  const a = await newGateway('alice');
  const b = await newGateway('alice');
  await peer(client, target.tokens.alice, a.id, b.id);

  const status = await eventually('gateway status to report the peer', async () => {
    const reply = await client.call('GET', `/v1/gateways/${a.id}/status`, { token: target.tokens.alice });
    return reply.json.appliedGeneration >= 1 && reply.json.peers.length === 1 ? reply.json : undefined;
  });

  expect(status.peers[0]).toMatchObject({ publicKey: b.publicKey, allowedIps: [b.vpcCidr, b.tunnelSubnet] });
  expect(status.desiredGeneration).toBeGreaterThanOrEqual(status.appliedGeneration);
});

whenPushesApply(
  'status lists a peering side by name as soon as the create answers, and drops it as soon as the delete is done',
  async () => {
    // Prepare
    const a = await newGateway('alice');
    const b = await newGateway('alice');
    const statusOf = async (gatewayId: string) =>
      (await client.call('GET', `/v1/gateways/${gatewayId}/status`, { token: target.tokens.alice })).json;
    const peering = await peer(client, target.tokens.alice, a.id, b.id);
    // Act
    const whilePeered = await statusOf(a.id);
    const removal = await client.call('DELETE', `/v1/vpc-peerings/${peering.id}`, {
      token: target.tokens.alice,
    });
    if (removal.status === 202) await peeringGone(client, target.tokens.alice, peering.id);
    const afterDelete = await Promise.all([statusOf(a.id), statusOf(b.id)]);
    // Assess: no status period in between (the runtime's timer is a minute).
    expect(peering.status).toBe('ACTIVE');
    expect(whilePeered.peers).toEqual([
      expect.objectContaining({
        name: `vpc-peering-${peering.id}`,
        type: 'vpc-peering',
        publicKey: b.publicKey,
        online: false,
      }),
    ]);
    expect(whilePeered.appliedGeneration).toBe(whilePeered.desiredGeneration);
    expect([202, 204]).toContain(removal.status);
    expect(afterDelete.map((status) => status.peers)).toEqual([[], []]);
  },
);

test('no secret appears in any JSON response of this file', async () => {
  await assertNoSecretLeaked(client, target);
});
