/**
 * The memory storage's cascade (runtime/memory-cascade.ts) retries a removal through the one retry
 * loop (lambdas/shared/retry.ts): a pause between attempts, none after the last, each failure
 * logged, and a removal whose attempts are spent does not stop the ones queued after it.
 */
import type { CascadeDeps } from '../../lambdas/app/gateway-cascade';
import { memoryCascade } from '../../runtime/memory-cascade';
import { gatewayRecord } from '../support/gateways';
import { recordingLog } from '../support/log-lines';

it('pauses between attempts but not after the last, and goes on with the next removal', async () => {
  // Prepare: storage that always fails, and a wait that records instead of sleeping.
  const { log, lines } = recordingLog();
  const pauses: number[] = [];
  let attempts = 0;
  const failing = (): CascadeDeps => {
    attempts += 1;
    throw new Error('table unavailable');
  };
  const cascade = memoryCascade(failing, log, { wait: async (ms) => pauses.push(ms) });
  const [first, second] = [gatewayRecord(), gatewayRecord()];

  // Act
  cascade.removed(first);
  cascade.removed(second);
  await cascade.idle();

  // Assess
  expect(attempts).toBe(10);
  expect(pauses).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
  expect(lines.map(({ gatewayId, attempt }) => `${gatewayId}#${attempt}`)).toEqual([
    ...[1, 2, 3, 4, 5].map((attempt) => `${first.id}#${attempt}`),
    ...[1, 2, 3, 4, 5].map((attempt) => `${second.id}#${attempt}`),
  ]);
  expect(lines[0]).toMatchObject({
    level: 'WARN',
    message: 'gateway cascade attempt failed',
    errorMessage: 'table unavailable',
  });
});
