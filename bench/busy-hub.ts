/**
 * Section: the busy hub. 100 creates from one hub to 100 spokes, all sent at once through the API
 * on the embedded runtime (files hosts), then the time until everything settled and how many
 * peerings did not end ACTIVE. Baseline in the same run: 10 creates from another hub, sent at once
 * (the ratio is time per peering, 100 against 10: flat means a create does not wait for the others'
 * checks). Each spoke adds its own /16 VPC and a /24 tunnel subnet of one shared /16 to its hub
 * (docs/DECISIONS.md "Busy hub: route locks").
 */
import {
  type BenchRuntime,
  registerGateways,
  round,
  type SectionResult,
  startBenchRuntime,
  WAIT_NOTE,
} from './harness';

const SPOKES = 100;
const BASELINE_SPOKES = 10;

async function hubRun(bench: BenchRuntime, prefix: string, spokes: number) {
  const [hub, ...others] = await registerGateways(bench.admin, prefix, spokes + 1);
  const started = performance.now();
  const replies = await Promise.all(
    others.map((spoke) =>
      bench.admin.call('POST', `/v1/gateways/${hub}/vpc-peerings`, { remoteGatewayId: spoke }),
    ),
  );
  await bench.runtime.settled();
  const settledMs = performance.now() - started;
  const statuses = replies.map((reply) => reply.status);
  const peerings: { gatewayIds: string[]; status: string }[] = [];
  let nextToken: unknown;
  do {
    const query = typeof nextToken === 'string' ? `&nextToken=${encodeURIComponent(nextToken)}` : '';
    const page = await bench.admin.expect('GET', `/v1/vpc-peerings?limit=100${query}`, 200);
    peerings.push(
      ...(page.body.items as typeof peerings).filter((peering) => peering.gatewayIds.includes(String(hub))),
    );
    nextToken = page.body.nextToken;
  } while (typeof nextToken === 'string');
  const active = peerings.filter((peering) => peering.status === 'ACTIVE').length;
  return { settledMs, failures: spokes - active, rejectedCalls: statuses.filter((s) => s >= 400).length };
}

export async function benchBusyHub(): Promise<SectionResult> {
  const bench = await startBenchRuntime('files');
  try {
    const baseline = await hubRun(bench, 'b', BASELINE_SPOKES);
    const hub = await hubRun(bench, 'h', SPOKES);
    const perPeering = hub.settledMs / SPOKES;
    const baselinePerPeering = baseline.settledMs / BASELINE_SPOKES;
    return {
      metrics: [
        {
          metric: `time to settle, ${SPOKES} concurrent creates on one hub`,
          value: round(hub.settledMs / 1000),
          unit: 's',
          lowerIsBetter: true,
        },
        {
          metric: 'settle time per peering, 100 vs 10 concurrent on a hub',
          value: round(perPeering),
          unit: 'ms',
          baseline: round(baselinePerPeering),
          ratio: round(perPeering / baselinePerPeering),
          goal: 'flat (≤ 1.5×)',
          lowerIsBetter: true,
        },
        { metric: `peerings not ACTIVE of ${SPOKES}`, value: hub.failures, goal: '0', lowerIsBetter: true },
        { metric: 'create calls answered 4xx/5xx', value: hub.rejectedCalls, goal: '0', lowerIsBetter: true },
      ],
      notes: [WAIT_NOTE, 'files-only hosts: every push runs the real gateway script'],
      details: { baseline, hub },
    };
  } finally {
    await bench.stop();
  }
}
