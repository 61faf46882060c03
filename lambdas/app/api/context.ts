/** What the API's use cases need: the ports, and how long a request may wait for a workflow. */
import type { AddressPolicy } from '../../core/address-rules';
import type { BucketSettings } from '../../core/token-bucket';
import type { ConfigStore, Dependencies } from '../ports';

export type ApiDeps = Pick<Dependencies, 'repository' | 'secrets' | 'workflows' | 'clock'> & {
  /** Only its read side: the status route shows the applied generation's peers. */
  configStore: Pick<ConfigStore, 'get'>;
};

export interface ApiTiming {
  /** How long a request waits for its workflow before answering without its outcome (API_WAIT_MS). */
  waitMs: number;
  /** Pause between two looks at a running workflow (API_POLL_MS). */
  pollMs: number;
  /**
   * The status report period (STATUS_REPORT_INTERVAL_SECONDS): a report older than it is stale.
   * Default: the AWS schedule's 5 minutes.
   */
  statusReportPeriodSeconds?: number;
}

/** Per-deployment rules of the API (env, lambdas/shared/env.ts). */
export interface ApiPolicy {
  addresses: AddressPolicy;
  limits: OwnerLimits;
  throttle: BucketSettings;
}

/** Per-owner limits (docs/DECISIONS.md, "Tenants and traffic"). */
export interface OwnerLimits {
  gatewaysPerOwner: number;
  roadWarriorsPerGateway: number;
  /** Peerings of one gateway (either side), whatever their status, until deleted. */
  peeringsPerGateway: number;
  /** Peerings of one owner PROVISIONING or DELETING at once. */
  operationsInFlightPerOwner: number;
}
