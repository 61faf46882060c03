/**
 * The Repository port's contract (lambdas/app/ports.ts), as one suite every implementation runs:
 * test/contract/dynamodb-repository.test.ts and memory-repository.test.ts. Each part lives in
 * test/support/contract/. What only DynamoDB can show (concurrency, capacity units, items, the
 * stream, orphan reservations) stays in test/persistence.
 */

import type { Repository } from '../../lambdas/app/ports';
import { contractContext } from './contract/context';
import { gatewaysContract } from './contract/gateways';
import { idempotencyContract } from './contract/idempotency';
import { inFlightPeeringsContract } from './contract/in-flight-peerings';
import { incarnationsContract } from './contract/incarnations';
import { peeringsContract } from './contract/peerings';
import { presharedKeysContract } from './contract/preshared-keys';
import { publicKeysContract } from './contract/public-keys';
import { pushLeasesContract } from './contract/push-leases';
import { roadWarriorsContract } from './contract/road-warriors';
import { statusReportsContract } from './contract/status-reports';
import { sweepWorkContract } from './contract/sweep-work';
import { tombstonesContract } from './contract/tombstones';
import { updateLeasesContract } from './contract/update-leases';

export interface RepositoryUnderTest {
  /** A repository on the suite's store; state is shared between calls, the clock is the caller's. */
  repository(options?: { clock?: () => Date }): Repository;
}

export function repositoryContract(subject: RepositoryUnderTest): void {
  const context = contractContext(subject);
  gatewaysContract(context);
  roadWarriorsContract(context);
  peeringsContract(context);
  inFlightPeeringsContract(context);
  publicKeysContract(context);
  presharedKeysContract(context);
  statusReportsContract(context);
  pushLeasesContract(context);
  updateLeasesContract(context);
  idempotencyContract(context);
  tombstonesContract(context);
  sweepWorkContract(context);
  incarnationsContract(context);
}
