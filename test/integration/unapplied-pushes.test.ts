/**
 * A target whose gateways apply no push: what LocalStack and AWS are to this suite, whose made-up
 * instance ids have no agent behind them (README.md, "Integration suite against LocalStack").
 * Embedded, the runtime plays one (VPG_LOCAL_MODE=unmanaged: every command is answered as SSM
 * answers for an unmanaged instance), so CI proves what the other files' skipped tests leave to
 * these: a create ends FAILED with its reason and holds nothing, a road-warrior's removal is 502
 * PUSH_FAILED and still stored, a gateway's deletion needs no instance (docs/CONTRACT.md#routes).
 * Against a deployment that says its gateways apply pushes (GATEWAYS_APPLY_PUSHES=true) there is
 * no such target, and the file is skipped.
 */

import { eventually, peer, peersOf, useTarget } from '../support/integration';
import { targetAppliesPushes } from '../support/target';

const { target, client, newGateway } = useTarget({ appliesPushes: false });
const describeWithoutAgents = process.env.API_URL && targetAppliesPushes() ? describe.skip : describe;

describeWithoutAgents('gateways that apply no push', () => {
  test('a create ends FAILED with its reason; neither gateway holds the peer', async () => {
    // Prepare
    const a = await newGateway('alice');
    const b = await newGateway('alice');

    // Act
    const peering = await peer(client, target.tokens.alice, a.id, b.id);

    // Assess
    expect(target.appliesPushes).toBe(false);
    expect(peering).toMatchObject({
      status: 'FAILED',
      statusReason: 'The peering could not be set up because of an internal error',
      gatewayIds: [a.id, b.id],
    });
    const sides = peering.sides as { applied: boolean }[];
    expect(sides.map((side) => side.applied)).toEqual([false, false]);
    expect(await peersOf(client, target.tokens.alice, a.id)).toEqual([]);
    expect(await peersOf(client, target.tokens.alice, b.id)).toEqual([]);
  });

  test('a road-warrior is added (201); its removal is 502 PUSH_FAILED, stored all the same', async () => {
    // Prepare
    const gateway = await newGateway('alice');

    // Act
    const added = await client.call('POST', `/v1/gateways/${gateway.id}/peers`, {
      token: target.tokens.alice,
      body: { name: 'laptop' },
    });
    const removed = await client.call('DELETE', `/v1/gateways/${gateway.id}/peers/laptop`, {
      token: target.tokens.alice,
    });

    // Assess
    expect(added.status).toBe(201);
    expect(removed.status).toBe(502);
    expect(removed.json.error.code).toBe('PUSH_FAILED');
    expect(await peersOf(client, target.tokens.alice, gateway.id)).toEqual([]);
    const config = await client.call('GET', `/v1/gateways/${gateway.id}/peers/laptop/config`, {
      token: target.tokens.alice,
    });
    expect(config.status).toBe(404);
    const status = await client.call('GET', `/v1/gateways/${gateway.id}/status`, {
      token: target.tokens.alice,
    });
    expect(status.json).toMatchObject({ appliedGeneration: 0, peers: [] });
    expect(status.json.desiredGeneration).toBeGreaterThan(0);
  });

  test("a gateway's deletion completes with no instance to tear down", async () => {
    // Prepare
    const gateway = await newGateway('alice');

    // Act
    const reply = await client.call('DELETE', `/v1/gateways/${gateway.id}`, { token: target.tokens.alice });

    // Assess
    expect([202, 204]).toContain(reply.status);
    await eventually('the gateway to be deleted', async () => {
      const read = await client.call('GET', `/v1/gateways/${gateway.id}`, { token: target.tokens.alice });
      return read.status === 404 ? true : undefined;
    });
  });
});
