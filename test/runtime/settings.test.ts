/**
 * A mistyped setting stops the embedded runtime's start (runtime/settings.ts), naming the variable
 * and what it must be, instead of a "Ready" runtime answering 500 to every API call and running
 * its report timer every millisecond. Cheap: the settings are read before DynamoDB Local, the
 * hosts or the handler modules are started, so the process ends within its module load.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigurationError } from '../../lambdas/shared/env';
import { startRuntime } from '../../runtime/main';
import { silentLog } from '../../runtime/runtime-log';

const REPO_ROOT = resolve(__dirname, '../..');

/** `npm start`'s last command (runtime/start.ts) with `env` added; its exit code and output. */
function runStart(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/start.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let [stdout, stderr] = ['', ''];
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // A start that does not fail would run until stopped: stop it (this child only) after a bound.
  const bound = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((done) =>
    child.once('close', (code) => {
      clearTimeout(bound);
      done({ code, stdout, stderr });
    }),
  );
}

describe('a malformed setting', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'vpc-peering-settings-')), 'data');
  afterAll(() => rmSync(resolve(dataDir, '..'), { recursive: true, force: true }));

  it('fails `npm start` with the variable named, before anything started', async () => {
    // Act
    const { code, stdout, stderr } = await runStart({
      DATA_DIR: dataDir,
      PORT: '0',
      VPG_STORAGE: 'memory',
      VPG_LOCAL_MODE: 'files',
      STATUS_REPORT_INTERVAL_SECONDS: '1m',
    });

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(
      'Failed to start: Environment variable STATUS_REPORT_INTERVAL_SECONDS must be whole seconds from 0 to 2147483, got 1m',
    );
    expect(stdout).not.toContain('Ready');
    expect(existsSync(dataDir)).toBe(false);
  }, 40_000);

  it.each([
    ['SWEEP_INTERVAL_SECONDS', '5min'],
    ['API_WAIT_MS', 'abc'],
  ])('%s=%s fails startRuntime too, before anything started', async (name, raw) => {
    // Prepare
    process.env[name] = raw;

    try {
      // Act
      const start = startRuntime({ storage: 'memory', hostMode: 'files', dataDir, port: 0, log: silentLog });

      // Assess
      await expect(start).rejects.toBeInstanceOf(ConfigurationError);
      await expect(start).rejects.toThrow(`Environment variable ${name} must be`);
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      delete process.env[name];
    }
  });
});
