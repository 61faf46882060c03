/**
 * The Lambda catalog: one entry per handler file of docs/ARCHITECTURE.md. The stack, the bundle-size
 * bench and the infra tests all read this list, so a handler added here is deployed, measured and
 * checked everywhere at once.
 */
import { join } from 'node:path';

/** What a function is invoked by; it fixes the timeout (see PeeringFunction). */
export type FunctionRole = 'api' | 'event' | 'stream' | 'step';

export interface HandlerSpec {
  /** Bundle and construct name (kebab-case). */
  readonly name: string;
  /** Entry file, relative to the repository root. */
  readonly entry: string;
  readonly role: FunctionRole;
  /** The ASL `${...}` substitution that carries this function's ARN, for workflow steps. */
  readonly substitution?: string;
}

export const HANDLERS = [
  { name: 'api', entry: 'lambdas/handlers/api.ts', role: 'api' },
  { name: 'gateway-events', entry: 'lambdas/handlers/gateway-events.ts', role: 'event' },
  { name: 'cascade', entry: 'lambdas/handlers/cascade.ts', role: 'stream' },
  { name: 'status-reports', entry: 'lambdas/handlers/status-reports.ts', role: 'event' },
  { name: 'sweeper', entry: 'lambdas/handlers/sweeper.ts', role: 'event' },
  step('validate', 'ValidateFunctionArn'),
  step('allocate', 'AllocateFunctionArn'),
  step('push-config', 'PushConfigFunctionArn'),
  step('check-command', 'CheckCommandFunctionArn'),
  step('activate', 'ActivateFunctionArn'),
  step('compensate', 'CompensateFunctionArn'),
  step('detach', 'DetachFunctionArn'),
  step('release', 'ReleaseFunctionArn'),
] as const satisfies readonly HandlerSpec[];

export type HandlerName = (typeof HANDLERS)[number]['name'];

/** The repository root: lib/ sits right under it. */
export const REPO_ROOT = join(__dirname, '..');

function step<N extends string, S extends string>(name: N, substitution: S) {
  return { name, entry: `lambdas/handlers/workflow/${name}.ts`, role: 'step', substitution } as const;
}
