/**
 * What the event suites' use cases and handlers run on: the in-memory repository and the fakes of
 * test/support/fakes.ts around it, one clock, and one MemoryPublications as both the config store
 * and the instance secrets. Each part a test does not give is made fresh. Shared by test/events and
 * the other suites that run a cascade or a sweep in memory; test/support/cascade-bench.ts is the
 * same on DynamoDB Local with its stream.
 */
import { MemoryAudit } from '../../lambdas/adapters/local/memory-audit';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type {
  AuditPublisher,
  CommandBus,
  ConfigStore,
  InstanceSecrets,
  Repository,
  SecretStore,
  WorkflowEngine,
} from '../../lambdas/app/ports';
import { provideDependencies, resetDependencies } from '../../lambdas/shared/deps';
import { MemoryPublications, MemorySecrets, RecordingCommands, RecordingWorkflows } from './fakes';

/** The parts, by their name in the ports' Dependencies (`publications` is both stores). */
export interface EventParts {
  repository: MemoryRepository;
  workflows: RecordingWorkflows;
  commands: RecordingCommands;
  publications: MemoryPublications;
  secrets: MemorySecrets;
  audit: MemoryAudit;
  clock: () => Date;
}

/** What a test may give in place of a part: anything its port takes. */
type Given = Partial<{
  repository: Repository;
  workflows: WorkflowEngine;
  commands: CommandBus;
  publications: ConfigStore & InstanceSecrets;
  secrets: SecretStore;
  audit: AuditPublisher;
  clock: () => Date;
}>;
type Parts<G extends Given> = Omit<EventParts, keyof G> & G;

/** The parts, `given` in place of the fresh ones, with the publications as both stores. */
export type EventDependencies<G extends Given = Record<never, never>> = Parts<G> & {
  configStore: Parts<G>['publications'];
  instanceSecrets: Parts<G>['publications'];
};

export function eventDependencies<G extends Given = Record<never, never>>(
  given: G = {} as G,
): EventDependencies<G> {
  const publications = new MemoryPublications();
  const parts = {
    repository: new MemoryRepository(),
    // Its pushes publish, as a Push step would: a move's walk waits for its early push's document.
    workflows: new RecordingWorkflows(given.publications ?? publications),
    commands: new RecordingCommands(),
    publications,
    secrets: new MemorySecrets(),
    audit: new MemoryAudit(),
    clock: () => new Date(),
    ...given,
  } as Parts<G>;
  const stores = parts.publications as Parts<G>['publications'];
  return Object.assign(parts, { configStore: stores, instanceSecrets: stores });
}

/**
 * Fresh parts on one clock the test sets (`setNow`), which the repository stamps with too: the
 * sweeps' bounds are times since what the repository stamped.
 */
export function eventDependenciesAt(startMs: number) {
  let nowMs = startMs;
  const clock = () => new Date(nowMs);
  const deps = eventDependencies({ repository: new MemoryRepository({ clock }), clock });
  const setNow = (ms: number) => {
    nowMs = ms;
  };
  return { deps, setNow };
}

/**
 * Fresh dependencies for each test (`given` makes its own parts), installed for the handlers in
 * beforeEach and forgotten after the suite; the running test's, from its beforeEach on.
 */
export function useEventDependencies<G extends Given = Record<never, never>>(
  given: () => G,
): () => EventDependencies<G> {
  let current: EventDependencies<G> | undefined;
  beforeEach(() => {
    current = eventDependencies(given());
    const { publications: _, ...dependencies } = current;
    provideDependencies(dependencies);
  });
  afterAll(() => resetDependencies());
  return () => {
    if (!current) throw new Error("the event dependencies are made in the suite's beforeEach");
    return current;
  };
}
