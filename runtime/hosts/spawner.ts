/**
 * One-shot commands through a small helper process (spawner-child.js). Node's spawn forks the
 * calling process, page tables and all, on its event loop: measured over one `npm test` on the
 * 2-core development machine, 17 ms per command in an embedded runtime of 150 MB and 32–36 ms in a
 * jest worker of 1–1.3 GB (docs/DECISIONS.md, "Spawning through a helper"). The helper forks from
 * about 40 MB instead, off the caller's event loop; the caller only writes and reads a line.
 *
 * The helper starts at the first command and keeps the caller alive only while a command runs.
 * Idle for `idleExitMs`, it is let go: its stdin is closed and it exits, so no helper outlives its
 * use (jest loads this module once per test file). A helper that dies fails the commands it was
 * running (they may have run: they are not retried), and the next command starts a new one.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface SpawnedResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Answer {
  id: number;
  exitCode?: number | null;
  signal?: NodeJS.Signals | null;
  stdout?: string;
  stderr?: string;
  error?: { code?: string; message: string };
}

interface Pending {
  /** The helper running it: when that one ends, only its own commands fail. */
  helper: ChildProcessWithoutNullStreams;
  resolve: (result: SpawnedResult) => void;
  reject: (error: Error) => void;
}

const CHILD = join(__dirname, 'spawner-child.js');

export class Spawner {
  private helper?: ChildProcessWithoutNullStreams;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer?: NodeJS.Timeout;

  constructor(private readonly idleExitMs = 2000) {}

  /** The helper's process id while one runs (tests, diagnostics). */
  get helperPid(): number | undefined {
    return this.helper?.pid;
  }

  /** Runs argv with env to completion; rejects only when it could not start (as spawn's 'error'). */
  run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<SpawnedResult> {
    clearTimeout(this.idleTimer);
    const helper = this.ensureHelper();
    const id = this.nextId++;
    return new Promise<SpawnedResult>((resolve, reject) => {
      this.pending.set(id, { helper, resolve, reject });
      this.holdCaller(true);
      helper.stdin.write(`${JSON.stringify({ id, argv, env })}\n`);
    });
  }

  private ensureHelper(): ChildProcessWithoutNullStreams {
    if (this.helper && this.helper.exitCode === null && this.helper.signalCode === null) return this.helper;
    const helper = spawn(process.execPath, [CHILD], {
      env: { PATH: process.env.PATH },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.helper = helper;
    let stderr = '';
    helper.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    createInterface({ input: helper.stdout }).on('line', (line) => this.settle(JSON.parse(line) as Answer));
    // A helper let go when idle just ends; one that dies mid-command fails what it was running.
    helper.on('close', (code, signal) => {
      if (this.helper === helper) this.helper = undefined;
      for (const [id, waiting] of this.pending) {
        if (waiting.helper !== helper) continue;
        this.pending.delete(id);
        waiting.reject(
          new Error(`the spawner helper ended (${signal ?? code}) while running a command: ${stderr.trim()}`),
        );
      }
      if (this.pending.size === 0) this.goIdle();
    });
    helper.on('error', () => undefined); // 'close' follows and fails what was pending
    helper.stdin.on('error', () => undefined); // a helper gone between two writes: 'close' reports it
    return helper;
  }

  private settle(answer: Answer): void {
    const waiting = this.pending.get(answer.id);
    if (!waiting) return;
    this.pending.delete(answer.id);
    if (this.pending.size === 0) this.goIdle();
    if (answer.error) {
      waiting.reject(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
      return;
    }
    waiting.resolve({
      exitCode: answer.exitCode ?? null,
      signal: answer.signal ?? null,
      stdout: Buffer.from(answer.stdout ?? '', 'base64').toString(),
      stderr: Buffer.from(answer.stderr ?? '', 'base64').toString(),
    });
  }

  private goIdle(): void {
    clearTimeout(this.idleTimer);
    this.holdCaller(false);
    this.idleTimer = setTimeout(() => {
      const helper = this.helper;
      if (!helper || this.pending.size > 0) return;
      this.helper = undefined;
      helper.stdin.end();
    }, this.idleExitMs);
    this.idleTimer.unref();
  }

  /** The helper keeps the caller's event loop alive only while a command runs, as a child would. */
  private holdCaller(hold: boolean): void {
    const helper = this.helper;
    if (!helper) return;
    const handles = [helper, helper.stdout, helper.stderr, helper.stdin] as Array<{
      ref(): void;
      unref(): void;
    }>;
    for (const handle of handles) {
      if (hold) handle.ref();
      else handle.unref();
    }
  }
}
