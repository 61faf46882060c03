/**
 * What a finished push stores as the gateway's status (lambdas/app/push.ts), on DynamoDB Local: the
 * instance's report, bounded so that a gateway with thousands of peers still fits in one item.
 */
import type { CommandBus } from '../../lambdas/app/ports';
import { checkPush } from '../../lambdas/app/push';
import { STATUS_REPORT_MAX_PEERS } from '../../lambdas/core/status';
import { useDynamoDb } from '../helpers/dynamodb';
import { peerStatuses } from '../helpers/status-reports';

const db = useDynamoDb();
const NOW = new Date('2026-11-25T12:00:00.000Z');
const PEERS = 4000;

/** A command bus whose one command has ended Success with `output`. */
const finishedWith = (output: string): CommandBus => ({
  send: async () => 'cmd-1',
  get: async () => ({ status: 'Success', output }),
});

it('stores a 4,000-peer report bounded to the most recently active peers, with how many it left out', async () => {
  // Prepare: the script's log line, then its report (the last line).
  const peers = peerStatuses(PEERS);
  const report = { gatewayId: 'gw-big', appliedGeneration: 3, mode: 'wireguard', path: 'delta', peers };
  const commands = finishedWith(`apply-config: applied\n${JSON.stringify(report)}\n`);
  const ticket = { gatewayId: 'gw-big', instanceId: 'i-big', commandId: 'cmd-1', generation: 3, polls: 0 };

  // Act
  const progress = await checkPush({ repository: db.repository(), commands, clock: () => NOW }, ticket, 10);

  // Assess
  expect(progress.done).toBe(true);
  const stored = await db.repository().getStatusReport('gw-big');
  expect(stored).toMatchObject({ appliedGeneration: 3, peersOmitted: PEERS - STATUS_REPORT_MAX_PEERS });
  expect(stored?.peers).toHaveLength(STATUS_REPORT_MAX_PEERS);
  expect(stored?.peers[0]).toEqual(peers[PEERS - 1]);
});
