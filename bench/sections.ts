/**
 * The benchmark sections in the order `npm run bench` runs them. Sections that start the embedded
 * runtime run in a fresh process each (bench/child.ts): the runtime sets process-wide environment
 * and module-level clients, and a fresh process is also what "time to healthy" means.
 */
import type { SectionResult } from './harness';

export interface SectionSpec {
  name: string;
  title: string;
  /** Run in a fresh Node process. */
  isolated: boolean;
  /** Upper bound of the section's run time; an isolated section is stopped after it. */
  timeoutMs: number;
  run(): Promise<SectionResult>;
}

const MINUTE = 60_000;

export const SECTIONS: SectionSpec[] = [
  {
    name: 'workflow-latency',
    title: '1. create/delete latency vs direct floor',
    isolated: true,
    timeoutMs: 4 * MINUTE,
    run: async () => (await import('./workflow-latency')).benchWorkflowLatency(),
  },
  {
    name: 'concurrency',
    title: '2. 140 creates + 60 deletes, 40 in flight, 20 gateways',
    isolated: true,
    timeoutMs: 4 * MINUTE,
    run: async () => (await import('./concurrency')).benchConcurrency(),
  },
  {
    name: 'allocation',
    title: '3. allocation capacity units vs fill',
    isolated: true,
    timeoutMs: 3 * MINUTE,
    run: async () => allocationSection(),
  },
  {
    name: 'apply-cost',
    title: '4. per-change apply cost on real WireGuard',
    isolated: true,
    timeoutMs: 4 * MINUTE,
    run: async () => (await import('./apply-cost')).benchApplyCost(),
  },
  {
    name: 'render',
    title: '5. render time',
    isolated: false,
    timeoutMs: MINUTE,
    run: async () => (await import('./render')).benchRender(),
  },
  {
    name: 'lambda-bundles',
    title: '6. Lambda bundle size and cold import',
    isolated: false,
    timeoutMs: 2 * MINUTE,
    run: async () => (await import('./cold-start')).benchLambdaBundles(),
  },
  {
    name: 'lists',
    title: '9. list pages, gateway view and candidates vs table size',
    isolated: true,
    timeoutMs: 15 * MINUTE,
    run: async () => (await import('./lists')).benchLists(),
  },
  {
    name: 'busy-hub',
    title: '10. 100 concurrent creates on one hub',
    isolated: true,
    timeoutMs: 15 * MINUTE,
    run: async () => (await import('./busy-hub')).benchBusyHub(),
  },
  {
    name: 'lifecycle-cost',
    title: '7. estimated AWS cost per peering lifecycle',
    isolated: true,
    timeoutMs: 2 * MINUTE,
    run: async () => (await import('./lifecycle-cost')).benchLifecycleCost(),
  },
  {
    name: 'runtime-footprint',
    title: '8. embedded runtime: from `npm start` to healthy, and memory',
    isolated: true,
    // Three starts (two of the command, one imported) and a console check.
    timeoutMs: 5 * MINUTE,
    run: async () => (await import('./runtime-footprint')).benchRuntimeFootprint(),
  },
  {
    name: 'secrets-cost',
    title: '11. cost of a secret vs Parameter Store tiers',
    isolated: false,
    timeoutMs: MINUTE,
    run: async () => (await import('./secrets-cost')).benchSecretsCost(),
  },
  {
    name: 'console',
    title: '12. console: initial JavaScript and time to an interactive gateway list',
    isolated: true,
    timeoutMs: 3 * MINUTE,
    run: async () => (await import('./console')).benchConsole(),
  },
];

/** bench/allocation.ts reports rows of request units (as AWS bills them) and times. */
async function allocationSection(): Promise<SectionResult> {
  const { benchAllocation } = await import('./allocation');
  const result = await benchAllocation();
  const rows = (result.rows ?? []) as Record<string, number>[];
  return {
    metrics: rows.flatMap((row) => [
      {
        metric: `request units per allocation as AWS bills it at ${row.existingAllocations} existing`,
        value: Number(row.oursRequestUnits),
        unit: 'RU',
        baseline: Number(row.naiveRequestUnits),
        ratio: Number(row.oursRequestUnits) / Number(row.naiveRequestUnits),
        goal: 'flat in fill (baseline: naive query-all allocator)',
        lowerIsBetter: true,
      },
      {
        metric: `mean ms per allocation at ${row.existingAllocations} existing`,
        value: Number(row.oursMeanMs),
        unit: 'ms',
        baseline: Number(row.naiveMeanMs),
        ratio: Number(row.oursMeanMs) / Number(row.naiveMeanMs),
        lowerIsBetter: true,
      },
    ]),
    notes: [
      'DynamoDB Local; ours is a whole road-warrior add (reservation + peer entry + gateway counters + public-key item), naive only the allocation',
      'request units (read + write) as AWS bills them, bench/aws-request-units.ts: DynamoDB Local reports a transaction below ' +
        "AWS's 2 WCU per item, so ours is priced 1 + 3 × 2 = 7 WCU (the reservation, then the three-item transaction), no read, no index write",
    ],
    details: result,
  };
}
