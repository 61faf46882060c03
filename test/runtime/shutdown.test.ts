/**
 * A stopped runtime holds nothing that keeps its process alive: no timer, server, socket or child
 * is left behind (a 5 s shutdown bound once was, and jest had to force its worker to exit). And the
 * bounded wait it uses (runtime/repeat.ts settlesWithin) clears its timer either way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRuntime } from '../../runtime/main';
import { settlesWithin } from '../../runtime/repeat';
import { silentLog } from '../../runtime/runtime-log';

/** Resources that keep the event loop alive, by kind (Timeout, TCPServerWrap, ProcessWrap, …). */
function liveResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** The kinds of which more are alive now than in `before`, with how many more. */
function addedSince(before: Record<string, number>): Record<string, number> {
  const added: Record<string, number> = {};
  for (const [kind, count] of Object.entries(liveResources())) {
    if (count > (before[kind] ?? 0)) added[kind] = count - (before[kind] ?? 0);
  }
  return added;
}

describe('settlesWithin', () => {
  it('is true when the work settles first, and clears its bound', async () => {
    // Prepare
    const set = jest.spyOn(global, 'setTimeout');
    const clear = jest.spyOn(global, 'clearTimeout');
    try {
      // Act
      const settled = await settlesWithin(sleep(5), 60_000);
      // Assess
      expect(settled).toBe(true);
      expect(set).toHaveBeenCalledTimes(1);
      expect(clear).toHaveBeenCalledWith(set.mock.results[0]?.value);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });

  it('is true for work that fails: it settled', async () => {
    // Act
    const settled = await settlesWithin(Promise.reject(new Error('gone')), 60_000);
    // Assess
    expect(settled).toBe(true);
  });

  it('is false when the bound comes first', async () => {
    // Prepare
    const never = new Promise<void>(() => {});
    // Act
    const settled = await settlesWithin(never, 20);
    // Assess
    expect(settled).toBe(false);
  });
});

describe('runtime stop', () => {
  it('leaves no timer, server, socket or child process behind', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'vpc-peering-shutdown-'));
    const before = liveResources();
    const runtime = await startRuntime({
      port: 0,
      dataDir,
      hostMode: 'files',
      storage: 'memory',
      waitMs: 20,
      statusReportIntervalMs: 200,
      log: silentLog,
    });
    try {
      const created = await fetch(`${runtime.url}/v1/gateways`, {
        method: 'POST',
        headers: { authorization: `Bearer ${runtime.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          id: 'gw-stop',
          ownerId: 'alice',
          vpcId: 'vpc-stop',
          vpcCidr: '10.41.0.0/16',
          tunnelSubnet: '100.64.41.0/24',
          publicIp: '203.0.113.41',
          instanceId: 'i-stop',
        }),
      });
      expect(created.status).toBe(201);
      await runtime.settled();

      // Act
      await runtime.stop();

      // Assess: nothing more alive than before the start. (A client socket may take a moment to
      // close once the server cut its connections; the old shutdown bound stayed 5 s. Fewer is
      // fine: an earlier suite's timer may have fired meanwhile.)
      for (let waited = 0; waited < 2000 && Object.keys(addedSince(before)).length > 0; waited += 50) {
        await sleep(50);
      }
      expect(addedSince(before)).toEqual({});
    } finally {
      await runtime.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
