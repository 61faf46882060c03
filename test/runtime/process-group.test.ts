/**
 * runtime/process-group.ts: stopping a benchmark's child stops everything it started, even what
 * ignores the first signal (as a JVM or the runtime's spawner may while a clean-up hangs).
 */
import { readFileSync } from 'node:fs';
import { spawnGroup } from '../../runtime/process-group';
import { eventually } from '../support/integration';

/** True while a process with this pid runs (a zombie, killed but not yet reaped, does not). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Waits until the process is gone, failing after 5 s: a SIGKILLed process still has to be scheduled
 * to exit, which on a loaded machine takes longer than any fixed pause.
 */
const gone = (pid: number) =>
  eventually(`process ${pid} gone`, async () => (alive(pid) ? undefined : true), {
    timeoutMs: 5_000,
    intervalMs: 20,
  });

/** A shell that starts a grandchild ignoring SIGTERM, prints its pid, then waits. */
function groupWithStubbornGrandchild() {
  const script = "trap '' TERM; sleep 300 & echo $!; wait";
  const group = spawnGroup('sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const grandchild = new Promise<number>((done) =>
    group.child.stdout?.once('data', (chunk: Buffer) => done(Number(chunk.toString().trim()))),
  );
  return { group, grandchild };
}

describe('spawnGroup', () => {
  it('kills the whole group once the grace period is over', async () => {
    // Prepare
    const { group, grandchild } = groupWithStubbornGrandchild();
    const pid = await grandchild;
    expect(alive(pid)).toBe(true);

    // Act
    await group.stop('SIGTERM', 200);

    // Assess
    await gone(pid);
    expect(group.child.signalCode).toBe('SIGKILL');
  });

  it('leaves nothing of the group behind once its leader has exited', async () => {
    // Prepare: the leader exits at once; its grandchild stays.
    const group = spawnGroup('sh', ['-c', 'sleep 300 & echo $!'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((done) =>
      group.child.stdout?.once('data', (chunk: Buffer) => done(Number(chunk.toString().trim()))),
    );
    expect(await group.exited).toBe(0);
    expect(alive(pid)).toBe(true);

    // Act
    await group.stop('SIGKILL', 0);

    // Assess
    await gone(pid);
  });
});
