/**
 * Road-warrior routes on the workflow bench (real push-gateway ASL, real handlers): a change that
 * committed is never answered as failed because its push could not start at once, and a public
 * key already on the gateway is refused before anything is stored.
 */
import { addRoadWarrior, deletePeer } from '../../lambdas/app/api/peers';
import type { WorkflowEngine } from '../../lambdas/app/ports';
import { ConflictError, TransientError } from '../../lambdas/core/errors';
import { generateKeyPair } from '../../lambdas/core/keys';
import type { Caller, GatewayRecord } from '../../lambdas/core/types';
import { logger } from '../../lambdas/shared/logger';
import { useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();
const alice: Caller = { userId: 'alice', isAdmin: false };
/** Long enough for any push to end here. */
const timing = { waitMs: 120_000, pollMs: 10 };

const apiDeps = (workflows: WorkflowEngine) => bench.apiDeps(workflows);

/** `engine`, except that its first `times` starts of push-gateway are throttled. */
function pushStartsThrottled(engine: WorkflowEngine, times: number): WorkflowEngine {
  let left = times;
  return {
    start: async (workflow, name, input) => {
      if (workflow === 'push-gateway' && left-- > 0) throw new TransientError('ThrottlingException');
      return engine.start(workflow, name, input);
    },
    describe: (executionId) => engine.describe(executionId),
    find: (workflow, name) => engine.find(workflow, name),
  };
}

async function hostPeerKeys(gateway: GatewayRecord): Promise<string[]> {
  const report = await bench.hosts().report(gateway.instanceId);
  return (report?.peers ?? []).map((peer) => peer.publicKey);
}

let warn: jest.SpyInstance;
beforeEach(() => {
  warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
});
afterEach(() => {
  jest.restoreAllMocks();
});

describe('a revocation whose push start is throttled', () => {
  it('retries the start: a brief throttle still ends done, applied on the instance', async () => {
    // Prepare
    const gateway = await bench.gateway();
    const deps = apiDeps(bench.engine());
    const { publicKey } = generateKeyPair();
    await addRoadWarrior(deps, alice, gateway.id, { name: 'laptop', publicKey }, timing);
    expect(await hostPeerKeys(gateway)).toEqual([publicKey]);

    // Act
    const outcome = await deletePeer(
      { ...deps, workflows: pushStartsThrottled(deps.workflows, 2) },
      alice,
      gateway.id,
      'laptop',
      timing,
    );

    // Assess
    expect(outcome).toEqual({ state: 'done', generation: 2 });
    expect(await hostPeerKeys(gateway)).toEqual([]);
  });

  it('answers "still running" with the generation, never a 503, and leaves the push to drift repair', async () => {
    // Prepare
    const gateway = await bench.gateway();
    const deps = apiDeps(bench.engine());
    await addRoadWarrior(deps, alice, gateway.id, { name: 'phone' }, timing);

    // Act
    const outcome = await deletePeer(
      { ...deps, workflows: pushStartsThrottled(deps.workflows, Number.POSITIVE_INFINITY) },
      alice,
      gateway.id,
      'phone',
      timing,
    );

    // Assess
    expect(outcome).toEqual({ state: 'running', generation: 2 });
    expect(await bench.repository().getPeer(gateway.id, 'phone')).toBeUndefined();
    expect(warn).toHaveBeenCalledWith(
      'Config push of a revocation could not start; drift repair will push it',
      expect.objectContaining({ gatewayId: gateway.id, generation: 2 }),
    );
  });
});

describe('a road-warrior addition whose push start is throttled', () => {
  it('retries the start, so the instance gets the new peer', async () => {
    // Prepare
    const gateway = await bench.gateway();
    const workflows = pushStartsThrottled(bench.engine(), 2);
    const { publicKey } = generateKeyPair();

    // Act
    await addRoadWarrior(apiDeps(workflows), alice, gateway.id, { name: 'tablet', publicKey }, timing);

    // Assess
    expect(await hostPeerKeys(gateway)).toEqual([publicKey]);
  });
});

describe('a road-warrior with a public key already on the gateway', () => {
  type Holders = { self: GatewayRecord; peered: GatewayRecord; roadWarrior: { publicKey: string } };
  it.each([
    { holder: "the gateway's own key", keyOf: ({ self }: Holders) => self.publicKey },
    { holder: "a peered gateway's key", keyOf: ({ peered }: Holders) => peered.publicKey },
    { holder: "another road-warrior's key", keyOf: ({ roadWarrior }: Holders) => roadWarrior.publicKey },
  ])('is refused with 409 PUBLIC_KEY_IN_USE when it is $holder, and nothing is stored', async ({ keyOf }) => {
    // Prepare: b peered with a, and a road-warrior "desk" on b.
    const [a, b] = [await bench.gateway(), await bench.gateway()];
    await bench.peering(a, b);
    const deps = apiDeps(bench.engine());
    const roadWarrior = await addRoadWarrior(deps, alice, b.id, { name: 'desk' }, timing);
    const key = keyOf({ self: b, peered: a, roadWarrior });
    const listPeers = jest.spyOn(deps.repository, 'listPeers');

    // Act
    const adding = addRoadWarrior(deps, alice, b.id, { name: 'intruder', publicKey: key }, timing);

    // Assess: found by the key items, never a read of the gateway's peers.
    await expect(adding).rejects.toEqual(new ConflictError('PUBLIC_KEY_IN_USE'));
    expect(await bench.repository().getPeer(b.id, 'intruder')).toBeUndefined();
    expect(listPeers).not.toHaveBeenCalled();
  });
});
