/**
 * runtime/hosts/spawner.ts: one-shot commands forked by a small helper process. Each answer reaches
 * its own caller, outputs and exit status come back as a direct spawn gives them, the command gets
 * exactly the environment it was given, a command that cannot start rejects as spawn's 'error'
 * does, a helper killed mid-command fails that command and the next one starts a new helper, and
 * an idle helper is let go.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Spawner } from '../../runtime/hosts/spawner';
import { isAlive } from '../../runtime/run-record';
import { eventually } from '../support/integration';

const spawners: Spawner[] = [];
const newSpawner = (idleExitMs = 2000) => {
  const spawner = new Spawner(idleExitMs);
  spawners.push(spawner);
  return spawner;
};

afterAll(async () => {
  // Every helper goes once idle (the bound below is the longest idle time used here).
  await sleep(300);
  for (const spawner of spawners) {
    const pid = spawner.helperPid;
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
  }
});

test('returns stdout, stderr and the exit code of the command, byte for byte', async () => {
  const spawner = newSpawner(100);

  const result = await spawner.run(
    ['bash', '-c', 'printf "größe\\n\\x01"; printf "warn\\n" >&2; exit 3'],
    process.env,
  );

  expect(result).toEqual({ exitCode: 3, signal: null, stdout: 'größe\n\x01', stderr: 'warn\n' });
});

test('a command killed by a signal reports the signal', async () => {
  const spawner = newSpawner(100);

  const result = await spawner.run(['bash', '-c', 'kill -TERM $$'], process.env);

  expect(result).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
});

test('the command sees exactly the environment it was given', async () => {
  const spawner = newSpawner(100);

  const result = await spawner.run(['/usr/bin/env'], { ONLY: 'this', PATH: '/usr/bin:/bin' });

  expect(result.stdout.trim().split('\n').sort()).toEqual(['ONLY=this', 'PATH=/usr/bin:/bin']);
});

test('concurrent commands each get their own answer', async () => {
  const spawner = newSpawner(100);

  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      spawner.run(['bash', '-c', `sleep 0.0${i % 5}; echo ${i}`], process.env),
    ),
  );

  expect(results.map((result) => result.stdout.trim())).toEqual(
    Array.from({ length: 20 }, (_, i) => String(i)),
  );
});

test('a command that cannot start rejects with its error code, and the helper goes on', async () => {
  const spawner = newSpawner(100);

  await expect(spawner.run(['/nonexistent/command'], process.env)).rejects.toMatchObject({
    code: 'ENOENT',
  });
  await expect(spawner.run(['true'], process.env)).resolves.toMatchObject({ exitCode: 0 });
});

test('a helper killed mid-command fails that command; the next command starts a new helper', async () => {
  const spawner = newSpawner(100);
  const running = spawner.run(['sleep', '5'], process.env);
  const first = spawner.helperPid as number;

  process.kill(first, 'SIGKILL');

  await expect(running).rejects.toThrow(/spawner helper ended \(SIGKILL\) while running a command/);
  await expect(spawner.run(['true'], process.env)).resolves.toMatchObject({ exitCode: 0 });
  expect(spawner.helperPid).not.toBe(first);
});

test('a Ctrl-C or SIGTERM to the process group leaves the helper to its parent, which still stops cleanly through it', async () => {
  // Prepare: a helper that has started, running a command when the signals arrive (the parent's
  // clean stop then runs more).
  const spawner = newSpawner(100);
  await spawner.run(['true'], process.env);
  const running = spawner.run(['sleep', '0.3'], process.env);
  const helper = spawner.helperPid as number;

  // Act
  process.kill(helper, 'SIGINT');
  process.kill(helper, 'SIGTERM');

  // Assess
  await expect(running).resolves.toMatchObject({ exitCode: 0 });
  await expect(spawner.run(['true'], process.env)).resolves.toMatchObject({ exitCode: 0 });
  expect(spawner.helperPid).toBe(helper);
});

test('an idle helper is let go, and comes back for the next command', async () => {
  const spawner = newSpawner(50);
  await spawner.run(['true'], process.env);
  const first = spawner.helperPid as number;

  // Polled, not slept for: on a loaded machine the exit can take longer than the idle time.
  await eventually(
    'the idle helper to be let go and exit',
    async () => (spawner.helperPid === undefined && !isAlive(first) ? true : undefined),
    { timeoutMs: 10_000, intervalMs: 25 },
  );

  await expect(spawner.run(['echo', 'again'], process.env)).resolves.toMatchObject({
    stdout: 'again\n',
  });
});

test('a helper let go while a new one runs a command never fails the new one', async () => {
  const spawner = newSpawner(1);
  await spawner.run(['true'], process.env);
  // Let go: its stdin is closed, and its end comes while the next helper runs the next command.
  while (spawner.helperPid !== undefined) await sleep(1);

  const next = spawner.run(['sleep', '0.3'], process.env);

  await expect(next).resolves.toMatchObject({ exitCode: 0 });
});
