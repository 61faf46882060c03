/** Child processes of the local hosts: one-shot commands and tracked long-lived ones. */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Spawner } from './spawner';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Every one-shot command of this process, forked by one small helper (spawner.ts says why). */
const spawner = new Spawner();

/** Runs argv to completion; never throws for a non-zero exit (the caller decides). */
export async function run(argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<RunResult> {
  if (!argv[0]) throw new Error('run: empty argv');
  const result = await spawner.run(argv, env ?? process.env);
  return {
    exitCode: result.exitCode ?? (result.signal ? 128 : 1),
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

/** Runs argv and throws with its stderr when it fails. */
export async function mustRun(argv: readonly string[]): Promise<string> {
  const result = await run(argv);
  if (result.exitCode !== 0) {
    throw new Error(`${argv.join(' ')} failed (${result.exitCode}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Long-lived processes, so teardown can stop every one of them and wait for each to be gone. */
export class ProcessGroup {
  /** Each child with its tag (the namespace it runs in), so one host's processes can be stopped. */
  private readonly children = new Map<ChildProcess, string>();

  spawn(tag: string, argv: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const [file, ...args] = argv;
    if (!file) throw new Error('spawn: empty argv');
    const child = spawn(file, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.set(child, tag);
    child.on('exit', () => this.children.delete(child));
    // An 'error' (e.g. ENOENT) must not crash the runtime; the caller sees the exit instead.
    child.on('error', () => this.children.delete(child));
    return child;
  }

  async stop(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const escalate = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(escalate);
  }

  /** Stops the children whose tag is in `tags` (every child when `tags` is undefined). */
  async stopAll(tags?: readonly string[]): Promise<void> {
    const chosen = [...this.children].filter(([, tag]) => tags === undefined || tags.includes(tag));
    await Promise.all(chosen.map(([child]) => this.stop(child)));
  }
}

/** The commands of `names` that are not on PATH (executable). */
export function missingCommands(names: readonly string[]): string[] {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  const onPath = (name: string) =>
    dirs.some((dir) => {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  return names.filter((name) => !onPath(name));
}
