/**
 * The real push-gateway ASL on the interpreter with the real PushConfig and CheckCommand handlers,
 * the in-memory repository and the gateway script (files-only mode): the push the API starts after a
 * road-warrior change, and the API use cases that start it and follow it.
 */

import { addRoadWarrior, deletePeer } from '../../lambdas/app/api/peers';
import { pushGatewayAndWait } from '../../lambdas/app/api/waiting';
import type { SecretStore, WorkflowEngine } from '../../lambdas/app/ports';
import { pushExecutionName } from '../../lambdas/app/push-runs';
import { CommandFailedError, PushFailedError } from '../../lambdas/core/errors';
import { generateKeyPair } from '../../lambdas/core/keys';
import { isResourceId } from '../../lambdas/core/schemas';
import type { Caller, GatewayRecord } from '../../lambdas/core/types';
import { logger } from '../../lambdas/shared/logger';
import type { LambdaHandler } from '../../runtime/workflow-engine';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();
const alice: Caller = { userId: 'alice', isAdmin: false };
/** Long enough for any push to end here: the use cases then return with its outcome known. */
const timing = { waitMs: 120_000, pollMs: 10 };

/**
 * For a push that fails: it is known by the one look at the window's end (docs/DECISIONS.md, "A
 * settled wait describes nothing"), long after the failing run ended here.
 */
const failureWindow = { waitMs: 1_500, pollMs: 10 };

async function hostPeerKeys(instanceId: string): Promise<string[]> {
  const report = await bench.hosts().report(instanceId);
  return (report?.peers ?? []).map((p) => p.publicKey);
}

/** A road-warrior written straight to the repository (generation 1), as the API's change leaves it. */
async function withRoadWarrior(gateway: GatewayRecord, name: string) {
  return bench.repository().addRoadWarrior({
    gatewayId: gateway.id,
    name,
    publicKey: generateKeyPair().publicKey,
    privateKeyParam: null,
    createdAt: new Date().toISOString(),
  });
}

const failingCheck = (): LambdaHandler => async () => {
  throw new CommandFailedError('Config push to the instance ended Failed');
};

/** The store with another delete (a store whose deletes fail, or keep the key). */
const withDelete = (store: SecretStore, remove: (name: string) => Promise<void>): SecretStore => ({
  names: store.names,
  putIfAbsent: (name, value) => store.putIfAbsent(name, value),
  get: (name) => store.get(name),
  delete: remove,
  deleteUnder: (folder) => store.deleteUnder(folder),
});

const apiDeps = (workflows: WorkflowEngine) => bench.apiDeps(workflows);

describe('push-gateway', () => {
  it("applies the gateway's current generation on its instance and stores the report", async () => {
    // Prepare
    const gateway = await bench.gateway();
    const peer = await withRoadWarrior(gateway, 'laptop');
    // Act
    const result = await runToEnd(bench.engine(), 'push-gateway', `push-${gateway.id}-1`, {
      gatewayId: gateway.id,
    });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(await hostPeerKeys(gateway.instanceId)).toEqual([peer.publicKey]);
    expect((await bench.repository().getStatusReport(gateway.id))?.appliedGeneration).toBe(1);
    expect(bench.calls[0]).toMatchObject({
      step: 'PushConfigFunctionArn',
      payload: { gatewayId: gateway.id, required: false },
    });
    expect(bench.calls.at(-1)?.step).toBe('CheckCommandFunctionArn');
  });

  it('succeeds without sending a command when the gateway is gone', async () => {
    // Prepare
    const gateway = await bench.gateway();
    await bench.repository().deleteGateway(gateway.id);
    // Act
    const result = await runToEnd(bench.engine(), 'push-gateway', `push-${gateway.id}-0`, {
      gatewayId: gateway.id,
    });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(bench.calls.map((call) => call.step)).toEqual(['PushConfigFunctionArn']);
    expect(await bench.hosts().report(gateway.instanceId)).toBeUndefined();
  });

  it('fails when the command fails', async () => {
    // Prepare
    const gateway = await bench.gateway();
    await withRoadWarrior(gateway, 'phone');
    const engine = bench.engine({ CheckCommandFunctionArn: failingCheck });
    // Act
    const result = await runToEnd(engine, 'push-gateway', `push-${gateway.id}-1`, { gatewayId: gateway.id });
    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'CommandFailedError' });
    expect(await bench.repository().getStatusReport(gateway.id)).toBeUndefined();
  });
});

describe('road-warrior changes through the API use cases', () => {
  afterEach(() => jest.restoreAllMocks());

  it('an add is applied by one push-gateway execution named by the generation it produced', async () => {
    // Prepare
    const gateway = await bench.gateway();
    const engine = bench.engine();
    const { publicKey } = generateKeyPair();
    // Act
    await addRoadWarrior(apiDeps(engine), alice, gateway.id, { name: 'laptop', publicKey }, timing);
    // the add answered once the instance applied (its APPLIED item), before the run's last step
    await engine.idle();
    // Assess
    expect(engine.list()).toEqual([
      {
        id: expect.stringMatching(new RegExp(`:push-${gateway.id}-1$`)),
        workflow: 'push-gateway',
        result: expect.objectContaining({ status: 'SUCCEEDED' }),
      },
    ]);
    expect(await hostPeerKeys(gateway.instanceId)).toEqual([publicKey]);
  });

  it('a repeated push of the same generation reuses the execution instead of pushing again', async () => {
    // Prepare
    const gateway = await bench.gateway();
    await withRoadWarrior(gateway, 'desk');
    const engine = bench.engine();
    await pushGatewayAndWait(apiDeps(engine), gateway.id, timing);
    // Act
    await pushGatewayAndWait(apiDeps(engine), gateway.id, timing);
    // Assess
    expect(engine.list()).toHaveLength(1);
    expect(bench.calls.filter((call) => call.step === 'PushConfigFunctionArn')).toHaveLength(1);
  });

  it('a delete whose push fails is a PushFailedError, with the peer removed and the failure logged', async () => {
    // Prepare
    const gateway = await bench.gateway();
    await withRoadWarrior(gateway, 'old-laptop');
    const engine = bench.engine({ CheckCommandFunctionArn: failingCheck });
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    // Act: a push its instance never applied is described once, at the window's end
    const outcome = deletePeer(apiDeps(engine), alice, gateway.id, 'old-laptop', failureWindow);
    // Assess
    await expect(outcome).rejects.toBeInstanceOf(PushFailedError);
    expect(await bench.repository().getPeer(gateway.id, 'old-laptop')).toBeUndefined();
    expect(engine.list().map((execution) => [execution.workflow, execution.result.status])).toEqual([
      ['push-gateway', 'FAILED'],
    ]);
    expect(warn).toHaveBeenCalledWith(
      'Config push of a revocation did not complete',
      expect.objectContaining({ gatewayId: gateway.id, status: 'FAILED', errorName: 'CommandFailedError' }),
    );
  });

  it('a delete is done only once its push applied the removal on the instance', async () => {
    // Prepare
    const gateway = await bench.gateway();
    const peer = await withRoadWarrior(gateway, 'tablet');
    const engine = bench.engine();
    await pushGatewayAndWait(apiDeps(engine), gateway.id, timing);
    expect(await hostPeerKeys(gateway.instanceId)).toEqual([peer.publicKey]);
    // Act
    const outcome = await deletePeer(apiDeps(engine), alice, gateway.id, 'tablet', timing);
    // Assess
    expect(outcome).toEqual({ state: 'done', generation: 2 });
    expect(await hostPeerKeys(gateway.instanceId)).toEqual([]);
  });

  it('a delete still running when the window closes is running, with the generation to wait for', async () => {
    // Prepare
    const gateway = await bench.gateway();
    await withRoadWarrior(gateway, 'watch');
    const engine = bench.engine();
    // Act
    const outcome = await deletePeer(apiDeps(engine), alice, gateway.id, 'watch', { waitMs: 0, pollMs: 1 });
    await engine.idle();
    // Assess
    expect(outcome).toEqual({ state: 'running', generation: 2 });
  });

  it('a failed secret delete does not stop the push, and is logged', async () => {
    // Prepare
    const gateway = await bench.gateway();
    const engine = bench.engine();
    const deps = apiDeps(engine);
    await addRoadWarrior(deps, alice, gateway.id, { name: 'phone' }, timing);
    const stored = await bench.repository().getPeer(gateway.id, 'phone');
    const secrets = withDelete(deps.secrets, () => Promise.reject(new Error('AccessDenied')));
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    // Act
    const outcome = await deletePeer({ ...deps, secrets }, alice, gateway.id, 'phone', timing);
    // Assess
    expect(outcome.state).toBe('done');
    expect(await hostPeerKeys(gateway.instanceId)).toEqual([]);
    expect(warn).toHaveBeenCalledWith(
      'Secret of a removed road-warrior left for cleanup',
      expect.objectContaining({ gatewayId: gateway.id, secretName: stored?.privateKeyParam }),
    );
  });

  it('a re-added name gets a fresh key pair, even when the old key was left behind', async () => {
    // Prepare
    const gateway = await bench.gateway();
    const engine = bench.engine();
    const deps = apiDeps(engine);
    const first = await addRoadWarrior(deps, alice, gateway.id, { name: 'laptop' }, timing);
    const firstParam = (await bench.repository().getPeer(gateway.id, 'laptop'))?.privateKeyParam;
    const keepSecrets = withDelete(deps.secrets, () => Promise.resolve());
    await deletePeer({ ...deps, secrets: keepSecrets }, alice, gateway.id, 'laptop', timing);
    // Act
    const second = await addRoadWarrior(deps, alice, gateway.id, { name: 'laptop' }, timing);
    // Assess
    const secondParam = (await bench.repository().getPeer(gateway.id, 'laptop'))?.privateKeyParam;
    expect(second.publicKey).not.toBe(first.publicKey);
    expect(secondParam).not.toBe(firstParam);
  });
});

describe('pushExecutionName', () => {
  /** Step Functions: 1–80 characters, none of whitespace, brackets, wildcards, punctuation listed. */
  const STEP_FUNCTIONS_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;

  it.each([
    ['gw-a', 7, 'push-gw-a-7'],
    ['a'.repeat(70), 12, `push-${'a'.repeat(70)}-12`],
  ])('names %s at generation %d by both', (gatewayId, generation, expected) => {
    // Act
    const name = pushExecutionName(gatewayId, generation);
    // Assess
    expect(name).toBe(expected);
  });

  it('keeps a 128-character gateway id within the limit, distinct per gateway and stable', () => {
    // Prepare
    const [a, b] = ['a', 'b'].map((c) => c.repeat(128)) as [string, string];
    // Act
    const names = [pushExecutionName(a, 3), pushExecutionName(b, 3), pushExecutionName(a, 3)];
    // Assess
    for (const name of names) expect(name).toMatch(STEP_FUNCTIONS_NAME);
    expect(names[0]).not.toBe(names[1]);
    expect(names[2]).toBe(names[0]);
    expect(names[0]).toMatch(/^push_[0-9a-f]{16}-3$/);
  });

  it("never names a long id's push as a short id's: the short id may be the long one's digest", () => {
    // Prepare: a valid gateway id spelled as the digest of a long one.
    const longId = `gw-${'a'.repeat(100)}`;
    const digestId = /^push_([0-9a-f]{16})-7$/.exec(pushExecutionName(longId, 7))?.[1];
    // Act
    const names = [pushExecutionName(longId, 7), pushExecutionName(String(digestId), 7)];
    // Assess
    expect(digestId).toBeDefined();
    expect(isResourceId(String(digestId))).toBe(true);
    expect(names[0]).not.toBe(names[1]);
  });
});
