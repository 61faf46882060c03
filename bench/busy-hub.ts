/**
 * Section: the busy hub. 100 creates from one hub to 100 spokes, all sent at once through the API
 * on the embedded runtime (files hosts), then the time until everything settled and how many
 * peerings did not end ACTIVE. Baseline in the same run: 50 creates from another hub, sent at once,
 * after one unmeasured create (JIT, first host creation). Goal on the marginal time per peering from
 * 50 to 100, (T100 − T50) / 50, against T50 / 50: a settle time T(n) ≈ L + n·c (one create's latency,
 * then the hub's pace) makes the plain per-peering ratio (L/n + c) fall below 1 however c grows, the
 * marginal time is c itself; flat means a create does not wait for the others' checks. 50 and not
 * 10: both runs are past the hub's pace. Each spoke adds its own /16 VPC and a /24 tunnel subnet of one shared /16 to its hub
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
const BASELINE_SPOKES = 50;

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
    const warmUp = await hubRun(bench, 'w', 1);
    const baseline = await hubRun(bench, 'b', BASELINE_SPOKES);
    const hub = await hubRun(bench, 'h', SPOKES);
    const perPeering = hub.settledMs / SPOKES;
    const baselinePerPeering = baseline.settledMs / BASELINE_SPOKES;
    const marginalPerPeering = (hub.settledMs - baseline.settledMs) / (SPOKES - BASELINE_SPOKES);
    return {
      metrics: [
        {
          metric: `time to settle, ${SPOKES} concurrent creates on one hub`,
          value: round(hub.settledMs / 1000),
          unit: 's',
          lowerIsBetter: true,
        },
        {
          metric: `marginal settle time per peering, ${BASELINE_SPOKES} → ${SPOKES} vs per peering at ${BASELINE_SPOKES}`,
          value: round(marginalPerPeering),
          unit: 'ms',
          baseline: round(baselinePerPeering),
          ratio: round(marginalPerPeering / baselinePerPeering),
          goal: 'flat (≤ 1.5×)',
          lowerIsBetter: true,
        },
        {
          metric: `settle time per peering, ${SPOKES} vs ${BASELINE_SPOKES} concurrent on a hub`,
          value: round(perPeering),
          unit: 'ms',
          baseline: round(baselinePerPeering),
          ratio: round(perPeering / baselinePerPeering),
          goal: 'below 1 by L/n; the marginal row is judged',
          lowerIsBetter: true,
        },
        { metric: `peerings not ACTIVE of ${SPOKES}`, value: hub.failures, goal: '0', lowerIsBetter: true },
        { metric: 'create calls answered 4xx/5xx', value: hub.rejectedCalls, goal: '0', lowerIsBetter: true },
      ],
      notes: [WAIT_NOTE, 'files-only hosts: every push runs the real gateway script'],
      details: { warmUp, baseline, hub },
    };
  } finally {
    await bench.stop();
  }
}
