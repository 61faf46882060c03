/**
 * The embedded runtime's settings, read through lambdas/shared/env.ts like the handlers' own: the
 * local defaults of what the handlers read, then every setting the runtime and its handlers use,
 * read once before anything starts. A mistyped value (`STATUS_REPORT_INTERVAL_SECONDS=1m`) thus
 * fails the start, naming its variable (runtime/start.ts prints "Failed to start: …"), instead of a
 * "Ready" runtime answering 500 to every API call or spinning a timer every millisecond
 * (docs/DECISIONS.md, "Settings fail fast").
 */
import { env } from '../lambdas/shared/env';
import { localEnv } from './local-env';

/**
 * Gateway hosts: wireguard or files (auto picks), or unmanaged: no instance is managed, so every
 * push fails as on a deployment without gateway agents (runtime/hosts/command-bus.ts).
 */
export type LocalHostMode = 'auto' | 'wireguard' | 'files' | 'unmanaged';

/** What the runtime's options may set instead of the environment (RuntimeOptions in runtime/main.ts). */
export interface SettingOverrides {
  port?: number;
  storage?: 'dynamodb' | 'memory';
  hostMode?: LocalHostMode;
  statusReportIntervalMs?: number;
  sweepIntervalMs?: number;
  stalledPeeringBoundMs?: number;
}

export interface RuntimeSettings {
  port: number;
  storage: 'dynamodb' | 'memory';
  hostMode: LocalHostMode;
  statusReportIntervalMs: number;
  sweepIntervalMs: number;
}

/** Local defaults of settings the handler modules read (a value the caller gave is kept). */
function applyLocalDefaults(): void {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  // The wait window is a runtime setting; keep one given by the caller.
  process.env.API_WAIT_MS ??= '8000';
  // No DescribeExecution rate limit here: the API may look at its executions often.
  process.env.API_POLL_MS ??= '25';
  // Wait states are shortened locally (waitMs); keep the push poll bound near a minute of waiting.
  process.env.COMMAND_MAX_POLLS ??= '240';
  // A local run ends within a minute or two (the push loop above): a stalled peering is re-driven sooner.
  process.env.STALLED_PEERING_BOUND_SECONDS ??= '180';
  // Locally the stream poller never gives up a record, but the memory storage's cascade does after a
  // few attempts: the sweep runs a cascade still pending after as long as it waits for a peering.
  process.env.PENDING_CASCADE_BOUND_SECONDS ??= '180';
  // Reports every minute here (five on AWS): `/status` moves while one watches it.
  process.env.STATUS_REPORT_INTERVAL_SECONDS ??= '60';
}

/** The local defaults, the options' overrides, then every setting read once: a bad one throws. */
export function readRuntimeSettings(overrides: SettingOverrides): RuntimeSettings {
  applyLocalDefaults();
  if (overrides.statusReportIntervalMs !== undefined) {
    // The status route calls a report older than one period stale.
    process.env.STATUS_REPORT_INTERVAL_SECONDS = String(Math.round(overrides.statusReportIntervalMs / 1000));
  }
  if (overrides.stalledPeeringBoundMs !== undefined) {
    process.env.STALLED_PEERING_BOUND_SECONDS = String(Math.round(overrides.stalledPeeringBoundMs / 1000));
  }
  // What the handlers read on each call (lambdas/handlers/): api, sweeper, gateway-events, pushes.
  env.serviceName();
  env.apiWaitMs();
  env.apiPollMs();
  env.ownerLimits();
  env.callerThrottle();
  env.addressPolicy();
  env.commandMaxPolls();
  env.stalledPeeringBoundSeconds();
  env.pendingCascadeBoundSeconds();
  env.peerFanoutStartsPerSecond();
  // The timer's reading first: its message says the bound a local timer adds.
  const reportSeconds = localEnv.localStatusReportIntervalSeconds();
  env.statusReportIntervalSeconds();
  return {
    port: overrides.port ?? localEnv.localPort(),
    storage: overrides.storage ?? localEnv.localStorage(),
    hostMode: overrides.hostMode ?? localEnv.localHostMode(),
    statusReportIntervalMs: overrides.statusReportIntervalMs ?? reportSeconds * 1000,
    sweepIntervalMs: overrides.sweepIntervalMs ?? localEnv.sweepIntervalSeconds() * 1000,
  };
}
