/**
 * A child process in a process group of its own (a benchmark section, or `npm start` timed by one),
 * so that stopping it stops everything it started: a DynamoDB Local JVM, wireguard-go, the
 * runtime's spawner. Signalled alone, a child that dies before its own clean-up (SIGKILL at the
 * end of a grace period) leaves those running.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { settlesWithin } from './repeat';

export interface GroupChild {
  child: ChildProcess;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** `signal` to the whole group, then SIGKILL to the group if it is still there after `graceMs`. */
  stop(signal: NodeJS.Signals, graceMs: number): Promise<void>;
}

/**
 * Spawns `command` as the leader of a new process group. A detached group no longer hears the
 * terminal's Ctrl-C, so while it runs this process passes SIGINT and SIGTERM on to it (below).
 */
export function spawnGroup(command: string, args: readonly string[], options: SpawnOptions): GroupChild {
  const child = spawn(command, args, { ...options, detached: true });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const signalGroup = (name: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, name);
    } catch {
      // The group is gone already.
    }
  };
  // A stop asked of this process reaches the group as SIGTERM, which the children clean up on;
  // this process then exits once the leader did. A second signal kills the group at once.
  let signalled = false;
  const forward = (name: NodeJS.Signals) => {
    const code = name === 'SIGINT' ? 130 : 143;
    if (signalled) {
      signalGroup('SIGKILL');
      process.exit(code);
    }
    signalled = true;
    signalGroup('SIGTERM');
    void exited.then(() => process.exit(code));
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  void exited.then(() => {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  });
  return {
    child,
    exited,
    async stop(signal, graceMs) {
      signalGroup(signal);
      if (!(await settlesWithin(exited, graceMs))) {
        signalGroup('SIGKILL');
        await exited;
      }
      // The leader may have exited while others of its group (a JVM) still run: they go too.
      signalGroup('SIGKILL');
    },
  };
}
