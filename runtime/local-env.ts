/**
 * The embedded runtime's own settings (README, "The two commands"), read through the readers of
 * lambdas/shared/env.ts: a malformed value throws its ConfigurationError naming the variable. Kept
 * out of that module because no Lambda reads them, so no Lambda bundles them.
 */
import { ConfigurationError, optional, positiveInt } from '../lambdas/shared/env';

/** The longest delay a Node timer keeps (2^31-1 ms): a longer one fires after 1 ms instead. */
export const MAX_TIMER_SECONDS = Math.floor(2_147_483_647 / 1000);

/** A timer's period in whole seconds, 0 (never) to MAX_TIMER_SECONDS. */
function periodSeconds(name: string, fallback: number): number {
  const raw = optional(name, String(fallback));
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value > MAX_TIMER_SECONDS) {
    throw new ConfigurationError(
      `Environment variable ${name} must be whole seconds from 0 to ${MAX_TIMER_SECONDS}, got ${raw}`,
    );
  }
  return value;
}

function oneOf<const T extends string>(name: string, values: readonly T[], fallback: T): T {
  const raw = optional(name, fallback);
  if (!(values as readonly string[]).includes(raw)) {
    throw new ConfigurationError(
      `Environment variable ${name} must be one of ${values.join(', ')}, got ${raw}`,
    );
  }
  return raw as T;
}

export const localEnv = {
  /** The HTTP front's port; 0 takes a free one. */
  localPort: () => {
    const port = positiveInt('PORT', 8787);
    if (port > 65_535)
      throw new ConfigurationError(`Environment variable PORT must be a port from 0 to 65535, got ${port}`);
    return port;
  },
  localDataDir: () => optional('DATA_DIR', '.local'),
  localAuthSecret: () => process.env.LOCAL_AUTH_SECRET || undefined,
  localStorage: () => oneOf('VPG_STORAGE', ['dynamodb', 'memory'], 'dynamodb'),
  localHostMode: () => oneOf('VPG_LOCAL_MODE', ['auto', 'files', 'unmanaged'], 'auto'),
  /**
   * The same period as the embedded runtime's report timer: bounded by what a timer holds (on AWS
   * it is a schedule's rate, unbounded here).
   */
  localStatusReportIntervalSeconds: () => periodSeconds('STATUS_REPORT_INTERVAL_SECONDS', 60),
  /** The sweep timer's period (on AWS the sweep's schedule is the stack's, lib/). */
  sweepIntervalSeconds: () => periodSeconds('SWEEP_INTERVAL_SECONDS', 60),
};
