/**
 * Adapters are built once per module (Lambda container) on first use. Each adapter module exposes
 * its own accessor so a handler's bundle holds only the SDK clients it needs. The embedded runtime
 * and the tests replace any of them with `provideDependencies` before a handler runs.
 */
import type { Dependencies } from '../app/ports';

const providedDependencies: Partial<Dependencies> = {};
const built: Partial<Dependencies> = {};

export function provideDependencies(dependencies: Partial<Dependencies>): void {
  Object.assign(providedDependencies, dependencies);
}

/** What was provided for `key`, if anything (adapters that build no client of their own). */
export function provided<K extends keyof Dependencies>(key: K): Dependencies[K] | undefined {
  return providedDependencies[key] as Dependencies[K] | undefined;
}

/** Forgets everything provided or built (tests only). */
export function resetDependencies(): void {
  for (const key of Object.keys(providedDependencies)) delete providedDependencies[key as keyof Dependencies];
  for (const key of Object.keys(built)) delete built[key as keyof Dependencies];
}

export function resolve<K extends keyof Dependencies>(key: K, build: () => Dependencies[K]): Dependencies[K] {
  const existing = providedDependencies[key] ?? built[key];
  if (existing) return existing as Dependencies[K];
  const created = build();
  built[key] = created;
  return created;
}

export const clock = (): (() => Date) => resolve('clock', () => () => new Date());
