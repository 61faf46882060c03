/**
 * One run's work over each of a gateway's peers, each item starting a workflow: a few in flight
 * at once (the lanes: StartExecution's refill and the SFN client's sockets) and no faster than a
 * start rate (the account's state transitions: core/fanout-pace.ts). Used by a deleted gateway's
 * cascade and an updated gateway's peer walk. The pace is per run: how many runs pace at once
 * account-wide is the fan-out functions' reserved concurrency (docs/DECISIONS.md, "One tenant's
 * fan-outs against the account").
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_PEER_FANOUT_STARTS_PER_SECOND, StartPacer } from '../core/fanout-pace';
import { type ItemFailure, settleEach } from '../shared/bounded';
import type { Dependencies } from './ports';

export interface PeerFanoutDeps extends Pick<Dependencies, 'clock'> {
  /**
   * Items started per second; the handlers pass PEER_FANOUT_STARTS_PER_SECOND (shared/env.ts).
   * Default DEFAULT_PEER_FANOUT_STARTS_PER_SECOND.
   */
  peerFanoutStartsPerSecond?: number;
  /** How the waits are spent (tests pass one their fake timers move, or an instant one). */
  wait?: (ms: number) => Promise<unknown>;
}

/**
 * The start rate of one run's fan-out: each call waits for the next start slot (the first
 * second's worth at once, then evenly spaced), so lanes asking together get successive slots.
 */
export function startPace(d: PeerFanoutDeps): () => Promise<void> {
  const ratePerSecond = d.peerFanoutStartsPerSecond ?? DEFAULT_PEER_FANOUT_STARTS_PER_SECOND;
  const pacer = new StartPacer({ ratePerSecond, burst: ratePerSecond });
  const wait = d.wait ?? sleep;
  return async () => {
    const pause = pacer.reserve(d.clock().getTime());
    if (pause > 0) await wait(pause);
  };
}

/**
 * settleEach with `lanes` in flight, each item started only once the rate allows it (startPace).
 * A failure stops nothing (settleEach).
 */
export async function settleEachPaced<T>(
  d: PeerFanoutDeps,
  items: readonly T[],
  lanes: number,
  run: (item: T) => Promise<unknown>,
): Promise<ItemFailure<T>[]> {
  const pace = startPace(d);
  return settleEach(items, lanes, async (item) => {
    await pace();
    return run(item);
  });
}
