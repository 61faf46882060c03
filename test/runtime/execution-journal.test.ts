/**
 * The execution journal's retention (docs/DECISIONS.md, "Execution journal retention"): finished
 * executions are forgotten, in memory and under DATA_DIR, past a count or an age; running ones are
 * never forgotten and are re-driven after a restart. The real push-gateway ASL on the interpreter,
 * with a push step that is done at once.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ExecutionJournal } from '../../runtime/execution-journal';
import { STEP_FUNCTIONS } from '../../runtime/step-functions';
import {
  type ExecutionRetention,
  type LambdaHandler,
  LocalWorkflowEngine,
} from '../../runtime/workflow-engine';

const HOUR = 3_600_000;
let journalDir: string;
let now: Date;

beforeEach(() => {
  journalDir = mkdtempSync(join(tmpdir(), 'vpc-peering-journal-'));
  now = new Date('2026-12-01T12:00:00Z');
});

afterEach(() => rmSync(journalDir, { recursive: true, force: true }));

/** Every step bound to a stub: a push is done at once, so push-gateway succeeds. */
function engine(retention: ExecutionRetention): LocalWorkflowEngine {
  const stub: LambdaHandler = async () => ({ done: true });
  return new LocalWorkflowEngine({
    statemachineDir: resolve(__dirname, '../../statemachine'),
    functions: Object.fromEntries(Object.keys(STEP_FUNCTIONS).map((name) => [name, stub])),
    waitMs: 1,
    retryIntervalMs: 1,
    journalDir,
    retention,
    clock: () => now,
  });
}

async function push(workflows: LocalWorkflowEngine, name: string): Promise<void> {
  await workflows.start('push-gateway', name, { gatewayId: 'gw-1' });
  await workflows.idle();
}

const journalFiles = () => readdirSync(journalDir).sort();

it('keeps at most maxFinished finished executions, the latest ones', async () => {
  // Prepare
  const workflows = engine({ maxFinished: 2, maxAgeMs: 100 * HOUR });

  // Act
  for (const name of ['push-1', 'push-2', 'push-3']) await push(workflows, name);

  // Assess
  expect(await workflows.find('push-gateway', 'push-1')).toBeUndefined();
  expect(await workflows.find('push-gateway', 'push-3')).toEqual(
    expect.objectContaining({ status: 'SUCCEEDED' }),
  );
  expect(journalFiles()).toEqual(['push-gateway.push-2.json', 'push-gateway.push-3.json']);
});

it('forgets a finished execution once it ended longer ago than maxAgeMs', async () => {
  // Prepare
  const workflows = engine({ maxFinished: 100, maxAgeMs: 24 * HOUR });
  await push(workflows, 'push-old');

  // Act
  now = new Date(now.getTime() + 25 * HOUR);
  await push(workflows, 'push-new');

  // Assess
  expect(await workflows.find('push-gateway', 'push-old')).toBeUndefined();
  expect(journalFiles()).toEqual(['push-gateway.push-new.json']);
});

it('at a restart, drops what is past the retention, keeps the rest and re-drives what was running', async () => {
  // Prepare: what a crashed run left.
  const journal = new ExecutionJournal(journalDir);
  const id = (name: string) => `arn:aws:states:local:000000000000:execution:push-gateway:${name}`;
  const entry = (name: string) => ({
    id: id(name),
    workflow: 'push-gateway' as const,
    input: '{"gatewayId":"gw-1"}',
  });
  const succeeded = { status: 'SUCCEEDED' as const, output: {} };
  journal.write({ ...entry('ended-2-days-ago'), result: succeeded, endedAt: '2026-11-29T12:00:00.000Z' });
  journal.write({ ...entry('before-retention'), result: succeeded });
  journal.write({ ...entry('ended-1-hour-ago'), result: succeeded, endedAt: '2026-12-01T11:00:00.000Z' });
  journal.write({ ...entry('interrupted'), result: { status: 'RUNNING' } });
  const workflows = engine({ maxFinished: 100, maxAgeMs: 24 * HOUR });

  // Act
  const redriven = workflows.recover();
  await workflows.idle();

  // Assess
  expect(redriven).toEqual([id('interrupted')]);
  expect(await workflows.find('push-gateway', 'ended-2-days-ago')).toBeUndefined();
  expect(await workflows.find('push-gateway', 'before-retention')).toBeUndefined();
  expect(await workflows.find('push-gateway', 'ended-1-hour-ago')).toMatchObject(succeeded);
  expect(await workflows.find('push-gateway', 'interrupted')).toEqual(
    expect.objectContaining({ status: 'SUCCEEDED' }),
  );
  expect(journalFiles()).toEqual(['push-gateway.ended-1-hour-ago.json', 'push-gateway.interrupted.json']);
});

it('never forgets a running execution, whatever the bound', async () => {
  // Prepare: a push that waits until released.
  let release = () => {};
  const blocked = new Promise<void>((done) => {
    release = done;
  });
  const stub: LambdaHandler = async () => ({ done: true });
  const workflows = new LocalWorkflowEngine({
    statemachineDir: resolve(__dirname, '../../statemachine'),
    functions: {
      ...Object.fromEntries(Object.keys(STEP_FUNCTIONS).map((name) => [name, stub])),
      PushConfigFunctionArn: async () => {
        await blocked;
        return { done: true };
      },
    },
    journalDir,
    retention: { maxFinished: 0, maxAgeMs: 0 },
    clock: () => now,
  });
  await workflows.start('push-gateway', 'push-slow', { gatewayId: 'gw-1' });

  // Act
  await workflows.start('push-gateway', 'push-other', { gatewayId: 'gw-2' });
  now = new Date(now.getTime() + 48 * HOUR);

  // Assess: both still running and known; once ended, both forgotten (the bound is 0).
  expect(await workflows.find('push-gateway', 'push-slow')).toMatchObject({ status: 'RUNNING' });
  expect(journalFiles()).toEqual(['push-gateway.push-other.json', 'push-gateway.push-slow.json']);
  release();
  await workflows.idle();
  expect(await workflows.find('push-gateway', 'push-slow')).toBeUndefined();
  expect(journalFiles()).toEqual([]);
});
