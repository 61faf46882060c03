/**
 * gateway/apply-config.sh's state lock in files mode: two applies run one after the other, a report
 * waits for an apply (up to VPG_REPORT_LOCK_SECONDS), each seen queuing in /proc/locks.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseReport } from '../../runtime/hosts';
import {
  type DocPeer,
  filesGatewayA,
  GATEWAY_A as gateway,
  publish,
  runScript,
  stateArgs,
  stateDocument,
} from '../support/gateway-script';

describe('apply-config.sh (files mode): the state lock', () => {
  let root: string;
  let stateDir: string;
  let env: Record<string, string>;
  let peer: DocPeer;
  let apply: ReturnType<typeof filesGatewayA>['apply'];
  let appliedGeneration: () => number;

  beforeEach(() => {
    ({ root, stateDir, env, peer, apply, appliedGeneration } = filesGatewayA('lock'));
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /**
   * Starts an apply of `generation` that takes the lock, then blocks reading its document from a
   * FIFO until `release` writes it.
   */
  const applyHoldingTheLock = async (generation: number) => {
    const published = publish(root, 'gw-a', generation, stateDocument(gateway, generation, [peer]));
    const fifo = published.stateUri.slice('file://'.length);
    rmSync(fifo);
    execFileSync('mkfifo', [fifo]);
    const args = ['--gateway-id', 'gw-a', '--generation', String(generation), ...stateArgs(published)];
    const running = runScript(args, env);
    await waitFor(
      () => existsSync(join(stateDir, 'lock')) && lockHolders(join(stateDir, 'lock')).holders > 0,
    );
    const release = () => {
      writeFileSync(fifo, stateDocument(gateway, generation, [peer]));
      return running;
    };
    return { running, release };
  };

  it('serialises two concurrent runs on the state lock', async () => {
    // Prepare: run A takes the lock, then blocks reading its document from a FIFO.
    const first = await applyHoldingTheLock(7);

    // Act: run B (a newer generation) must wait for A's lock.
    const second = apply(8);
    const secondWaited = await waitsOnTheLock(second, join(stateDir, 'lock'));
    const [a, b] = await Promise.all([first.release(), second]);

    // Assess: A applied 7 (not stale: B had not run), then B applied 8.
    expect(secondWaited).toBe(true);
    expect(parseReport(a.stdout)).toMatchObject({ appliedGeneration: 7 });
    expect(parseReport(a.stdout)).not.toHaveProperty('skipped');
    expect(parseReport(b.stdout)).toMatchObject({ appliedGeneration: 8 });
    expect(appliedGeneration()).toBe(8);
  });

  it('a report waits for an apply that holds the lock, then reports what it applied', async () => {
    // Prepare: an apply takes the lock, then blocks reading its document from a FIFO.
    await apply(7);
    const applying = await applyHoldingTheLock(8);

    // Act
    const report = runScript(['--report'], env);
    const reportWaited = await waitsOnTheLock(report, join(stateDir, 'lock'));
    const [applied, reported] = await Promise.all([applying.release(), report]);

    // Assess
    expect(reportWaited).toBe(true);
    expect(parseReport(applied.stdout)).toMatchObject({ appliedGeneration: 8 });
    expect(parseReport(reported.stdout)).toMatchObject({ appliedGeneration: 8 });
  });

  it('a report gives up behind an apply that holds the lock past VPG_REPORT_LOCK_SECONDS', async () => {
    // Prepare: an apply takes the lock, then blocks reading its document from a FIFO.
    const applying = await applyHoldingTheLock(7);

    // Act
    const reported = await runScript(['--report'], { ...env, VPG_REPORT_LOCK_SECONDS: '1' });
    const applied = await applying.release();

    // Assess
    expect(reported).toMatchObject({
      exitCode: 1,
      stdout: '',
      stderr: 'apply-config: no report: an apply has held the state for over 1 s\n',
    });
    expect(parseReport(applied.stdout)).toMatchObject({ appliedGeneration: 7 });
  });
});

/** True when `run`, just started, queues on the lock of `file` rather than ending first. */
async function waitsOnTheLock(run: Promise<unknown>, file: string): Promise<boolean> {
  let ended = false;
  run.then(
    () => {
      ended = true;
    },
    () => {
      ended = true;
    },
  );
  await waitFor(() => ended || lockHolders(file).waiters > 0);
  return !ended;
}

/** flock holders and waiters of a file, from /proc/locks (waiters are the "->" lines). */
function lockHolders(file: string): { holders: number; waiters: number } {
  const inode = statSync(file).ino;
  const lines = readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .filter((line) => line.includes('FLOCK') && line.split(/\s+/).some((f) => f.endsWith(`:${inode}`)));
  const waiters = lines.filter((line) => line.includes('->')).length;
  return { holders: lines.length - waiters, waiters };
}

/** Polls a condition; gives up (failing the test) after a generous bound rather than hanging. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let polls = 0; !condition(); polls++) {
    if (polls > 1000) throw new Error('condition never became true');
    await sleep(10);
  }
}
