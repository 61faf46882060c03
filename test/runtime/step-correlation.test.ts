/**
 * Correlation ids on workflow log lines (README, "Logs"): every line a step writes, its own and its
 * use cases', carries the peering id, the execution's name (from `$$.Execution.Name` in the ASL) and
 * the invocation's request id, so one peering can be followed through the workflow and the push.
 * The real ASL on the interpreter, the real handlers (test/support/workflow-bench.ts).
 */
import { CommandFailedError } from '../../lambdas/core/errors';
import { captureLogLines, type LogLine } from '../support/log-lines';
import { runToEnd, useWorkflowBench } from '../support/workflow-bench';

const bench = useWorkflowBench();

const stepLines = (lines: LogLine[]) => lines.filter((line) => typeof line.step === 'string');

it('puts the peering id, the execution name and a request id on every line of a create and a delete', async () => {
  // Prepare
  const [a, b] = [await bench.gateway(), await bench.gateway()];
  const engine = bench.engine();

  // Act
  const created = await captureLogLines(() =>
    runToEnd(engine, 'create-peering', 'pcx-corr', {
      peeringId: 'pcx-corr',
      gatewayId: a.id,
      remoteGatewayId: b.id,
    }),
  );
  const deleted = await captureLogLines(() =>
    runToEnd(engine, 'delete-peering', 'delete-pcx-corr', { peeringId: 'pcx-corr' }),
  );

  // Assess: every step of both workflows logged, the pushes included, each line correlated.
  const runs = [
    { execution: 'pcx-corr', steps: stepLines(created) },
    { execution: 'delete-pcx-corr', steps: stepLines(deleted) },
  ];
  expect(runs.map(({ steps }) => new Set(steps.map((line) => line.step)))).toEqual([
    new Set(['Validate', 'AllocateTunnelIps', 'PushConfig', 'CheckCommand', 'Activate']),
    new Set(['Detach', 'PushConfig', 'CheckCommand', 'Release']),
  ]);
  for (const { execution, steps } of runs) {
    for (const line of steps) {
      expect(line).toMatchObject({
        peeringId: 'pcx-corr',
        executionName: execution,
        awsRequestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
    }
    const pushes = steps.filter((line) => line.step === 'PushConfig');
    expect(new Set(pushes.map((line) => line.gatewayId))).toEqual(new Set([a.id, b.id]));
    // The correlation travels beside the step's input, never in it.
    const started = steps.filter((line) => line.message === 'step started');
    expect(started.length).toBeGreaterThan(0);
    for (const line of started) expect(line.input).not.toHaveProperty('correlation');
  }
});

it('puts them on the lines a use case writes inside a step too', async () => {
  // Prepare: the first push fails for good, so Compensate runs and logs why.
  const [a, b] = [await bench.gateway(), await bench.gateway()];
  const engine = bench.engine({
    PushConfigFunctionArn: () => async () => {
      throw new CommandFailedError('the instance refused the document');
    },
  });

  // Act
  const lines = await captureLogLines(() =>
    runToEnd(engine, 'create-peering', 'pcx-fails', {
      peeringId: 'pcx-fails',
      gatewayId: a.id,
      remoteGatewayId: b.id,
    }),
  );

  // Assess
  const failed = lines.find((line) => line.message === 'Peering failed');
  expect(failed).toMatchObject({
    step: 'Compensate',
    peeringId: 'pcx-fails',
    executionName: 'pcx-fails',
    awsRequestId: expect.any(String),
  });
});

it('keeps the ids of concurrent invocations apart', async () => {
  // Prepare: two creates on other gateways, run at once in one process (the embedded runtime).
  const [a, b, c, d] = [
    await bench.gateway(),
    await bench.gateway(),
    await bench.gateway(),
    await bench.gateway(),
  ];
  const engine = bench.engine();

  // Act
  const lines = await captureLogLines(async () => {
    const first = engine.start('create-peering', 'pcx-one', {
      peeringId: 'pcx-one',
      gatewayId: a.id,
      remoteGatewayId: b.id,
    });
    const second = engine.start('create-peering', 'pcx-two', {
      peeringId: 'pcx-two',
      gatewayId: c.id,
      remoteGatewayId: d.id,
    });
    await Promise.all([first, second]);
    await engine.idle();
  });

  // Assess
  const steps = stepLines(lines);
  expect(steps.some((line) => line.peeringId === 'pcx-one')).toBe(true);
  expect(steps.some((line) => line.peeringId === 'pcx-two')).toBe(true);
  for (const line of steps) expect(line.executionName).toBe(line.peeringId);
});
