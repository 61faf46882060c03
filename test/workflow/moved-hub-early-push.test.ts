/**
 * A moved hub's early push against its key-rotation walk (lambdas/app/instance-move.ts,
 * lambdas/app/push.ts; docs/DECISIONS.md, "A moved gateway's early push renders before its walk";
 * review s21e, 1): on the real push-gateway ASL, the in-memory repository and local gateway hosts,
 * a walk that moves the hub's generation faster than a render (each read of the hub's peers while
 * the walk runs is followed by a bump, as a 1,000-peering hub's switches, every 40 ms, outrun its
 * 128 ms read). The walk starts once the new instance's document of the
 * move's generation is published; a push the walk still outruns ends superseded, never failed.
 */
import { configStore } from '../../lambdas/adapters/s3';
import { instanceSecrets } from '../../lambdas/adapters/s3/secrets';
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import type { Repository, WorkflowEngine } from '../../lambdas/app/ports';
import type { PushRun } from '../../lambdas/app/push-runs';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { provideDependencies } from '../../lambdas/shared/deps';
import type { LambdaHandler, LocalWorkflowEngine } from '../../runtime/workflow-engine';
import { useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();
const SPOKES = 3;
/** The instance each test's hub moves to (the bench's table lives across its tests). */
const newInstanceOf = (hub: GatewayRecord) => `i-moved-${hub.id}`;
/** How long the walk's first switch waits for the early push to end (so the walk outlasts it). */
const EARLY_PUSH_BOUND_MS = 30_000;

/** A hub peered with SPOKES spokes. */
async function peeredHub() {
  const hub = await bench.gateway();
  for (let i = 0; i < SPOKES; i++) await bench.peering(hub, await bench.gateway());
  return hub;
}

/**
 * The repository and workflows of a walk that outruns every render of `hubId`: from its first
 * rewrite until its last switch, each read of the hub's peers is followed by a bump of its
 * generation, and its first switch waits until the early push (the hub's first push-gateway
 * execution) ended. `documentsAtFirstSwitch`: the hub's generations published by then.
 */
function outrunningWalk(repository: Repository, hubId: string) {
  let switches = 0;
  let earlyPush: string | undefined;
  let engine: LocalWorkflowEngine | undefined;
  const seen = { walkStarted: false, documentsAtFirstSwitch: [] as number[] };
  const walking = () => seen.walkStarted && switches < SPOKES;
  const racing = Object.assign(Object.create(repository) as Repository, {
    updateRemotePeer: (...args: Parameters<Repository['updateRemotePeer']>) => {
      seen.walkStarted = true;
      return repository.updateRemotePeer(...args);
    },
    listPeers: async (gatewayId: string) => {
      const peers = await repository.listPeers(gatewayId);
      if (walking() && gatewayId === hubId) await repository.bumpGeneration(hubId);
      return peers;
    },
    switchPresharedKey: async (...args: Parameters<Repository['switchPresharedKey']>) => {
      if (switches === 0) {
        const current = (await repository.getGateway(hubId))?.desiredGeneration ?? 0;
        for (let generation = 0; generation <= current; generation++) {
          if ((await configStore().get(hubId, generation)) !== undefined)
            seen.documentsAtFirstSwitch.push(generation);
        }
        if (engine !== undefined && earlyPush !== undefined) await untilEnded(engine, earlyPush);
      }
      switches += 1;
      return repository.switchPresharedKey(...args);
    },
  });
  /** `on`, noting the hub's first push. */
  const workflows = (on: LocalWorkflowEngine): WorkflowEngine => {
    engine = on;
    return {
      start: async (workflow, name, input) => {
        const started = await on.start(workflow, name, input);
        const { gatewayId } = input as { gatewayId?: string };
        if (earlyPush === undefined && workflow === 'push-gateway' && gatewayId === hubId)
          earlyPush = started.executionId;
        return started;
      },
      describe: (executionId) => on.describe(executionId),
      find: (workflow, name) => on.find(workflow, name),
    };
  };
  return { racing, seen, workflows };
}

async function untilEnded(engine: LocalWorkflowEngine, executionId: string): Promise<void> {
  const deadline = Date.now() + EARLY_PUSH_BOUND_MS;
  while ((await engine.describe(executionId)).status === 'RUNNING' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Moves `hub` to its new instance through the walk, the steps on `engine`. */
async function move(
  walk: ReturnType<typeof outrunningWalk>,
  engine: LocalWorkflowEngine,
  hub: GatewayRecord,
  wait?: (ms: number) => Promise<unknown>,
) {
  const deps = {
    ...bench.apiDeps(walk.workflows(engine)),
    repository: walk.racing,
    instanceSecrets: instanceSecrets(),
    commands: bench.commands(),
    ...(wait === undefined ? {} : { wait }),
  };
  return gatewayUpdated(deps, { ...toPublicGateway(hub), instanceId: newInstanceOf(hub) });
}

/** Every push execution of the move, as it ended. */
async function endings(engine: LocalWorkflowEngine, pushes: readonly PushRun[]) {
  await engine.idle();
  return Promise.all(
    pushes.map(async (push) => ({ gatewayId: push.gatewayId, ...(await engine.describe(push.executionId)) })),
  );
}

it("publishes the new instance's document of the move's generation before the walk's first switch, and no push fails", async () => {
  // Prepare
  const hub = await peeredHub();
  const walk = outrunningWalk(bench.repository(), hub.id);
  provideDependencies({ repository: walk.racing });
  const engine = bench.engine();

  // Act
  const update = await move(walk, engine, hub);

  // Assess: the early push (the hub's first) published the move's generation before any switch;
  // every push of the move applied, the hub's last one after the walk.
  const [early] = update.pushes;
  expect(early?.gatewayId).toBe(hub.id);
  expect(walk.seen.documentsAtFirstSwitch).toContain(early?.generation);
  const ended = await endings(engine, update.pushes);
  expect(ended.filter((push) => push.status !== 'SUCCEEDED')).toEqual([]);
  expect(ended.filter((push) => push.gatewayId === hub.id)).toHaveLength(2);
});

it('ends an early push the walk still outran superseded, not failed, and the move ends with its own push', async () => {
  // Prepare: the early push's first step runs only once the walk started, and the walk's wait for
  // its document passes at once (its bound spent).
  const hub = await peeredHub();
  const walk = outrunningWalk(bench.repository(), hub.id);
  provideDependencies({ repository: walk.racing });
  const afterTheWalkStarted =
    (real: LambdaHandler): LambdaHandler =>
    async (payload, context) => {
      while (!walk.seen.walkStarted) await new Promise((resolve) => setTimeout(resolve, 5));
      return real(payload, context);
    };
  const engine = bench.engine({ PushConfigFunctionArn: afterTheWalkStarted });

  // Act
  const update = await move(walk, engine, hub, async () => {});

  // Assess: the early push ended superseded and none failed; the hub's last push, after the walk,
  // applied the generation holding every switch on the new instance.
  const ended = await endings(engine, update.pushes);
  expect(ended[0]).toMatchObject({ gatewayId: hub.id, status: 'SUCCEEDED' });
  expect(ended[0]?.output).toMatchObject({ push: { value: { done: true, superseded: true } } });
  expect(ended.filter((push) => push.status !== 'SUCCEEDED')).toEqual([]);
  const last = update.pushes.at(-1);
  expect(last?.gatewayId).toBe(hub.id);
  const applied = await bench.repository().getAppliedGeneration(hub.id);
  expect(applied).toMatchObject({ instanceId: newInstanceOf(hub), appliedGeneration: last?.generation });
});
