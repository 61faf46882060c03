/**
 * DATA_DIR is the runtime's alone (runtime/data-dir.ts, docs/SECURITY.md "The local runtime"):
 * created 0700, an existing one set to 0700 with the files in it unchanged, and one another
 * account owns or may have written to refused, by `npm start` with a clear message and exit 1.
 */
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prepareDataDir, UnsafeDataDirError } from '../../runtime/data-dir';
import { startRuntime } from '../../runtime/main';
import { silentLog } from '../../runtime/runtime-log';

const REPO_ROOT = resolve(__dirname, '../..');
/** The nobody account: an owner other than the test's. */
const ANOTHER_UID = 65534;

const modeOf = (path: string) => statSync(path).mode & 0o777;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vpc-peering-data-dir-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('prepareDataDir', () => {
  it('creates a missing DATA_DIR (parents too) and makes it readable by its user alone', async () => {
    // Prepare: a umask that would leave it readable by group and others.
    const dataDir = join(root, 'parent', 'data');
    const umask = process.umask(0o022);

    try {
      // Act
      await prepareDataDir(dataDir);
    } finally {
      process.umask(umask);
    }

    // Assess
    expect(modeOf(dataDir)).toBe(0o700);
  });

  it('sets an existing DATA_DIR to 0700 and leaves the modes of the files in it', async () => {
    // Prepare: as an earlier start under umask 022 left it.
    const dataDir = join(root, 'data');
    mkdirSync(join(dataDir, 'config'), { recursive: true });
    writeFileSync(join(dataDir, 'run.json'), '{}', { mode: 0o644 });
    chmodSync(join(dataDir, 'run.json'), 0o644);
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'config'), 0o755);

    // Act
    await prepareDataDir(dataDir);

    // Assess
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(join(dataDir, 'run.json'))).toBe(0o644);
    expect(modeOf(join(dataDir, 'config'))).toBe(0o755);
  });

  it.each([
    ['group', 0o775],
    ['others', 0o757],
  ])('refuses a DATA_DIR writable by %s, and changes nothing', async (_who, mode) => {
    // Prepare
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, mode);

    // Act
    const prepared = prepareDataDir(dataDir);

    // Assess
    await expect(prepared).rejects.toThrow(UnsafeDataDirError);
    await expect(prepared).rejects.toThrow(
      `DATA_DIR ${dataDir} is writable by group or others (mode 0${mode.toString(8)}): check what is in it, then chmod 700 it, or use a new directory`,
    );
    expect(modeOf(dataDir)).toBe(mode);
  });

  it('refuses a DATA_DIR another user owns, and changes nothing', async () => {
    // Prepare: as root, a directory given to another account; otherwise one root owns.
    const uid = process.getuid?.() ?? 0;
    const dataDir = uid === 0 ? join(root, 'data') : '/';
    if (uid === 0) {
      mkdirSync(dataDir, { mode: 0o755 });
      chownSync(dataDir, ANOTHER_UID, ANOTHER_UID);
    }
    const before = modeOf(dataDir);

    // Act
    const prepared = prepareDataDir(dataDir);

    // Assess
    await expect(prepared).rejects.toThrow(UnsafeDataDirError);
    await expect(prepared).rejects.toThrow(
      `DATA_DIR ${dataDir} belongs to uid ${uid === 0 ? ANOTHER_UID : 0}, not to this user (uid ${uid})`,
    );
    expect(modeOf(dataDir)).toBe(before);
  });

  it.each([
    ['a symbolic link', 'is a symbolic link: give the directory itself'],
    ['a file', 'is not a directory'],
  ])('refuses a DATA_DIR that is %s', async (what, message) => {
    // Prepare
    const dataDir = join(root, 'data');
    if (what === 'a file') writeFileSync(dataDir, '');
    else {
      mkdirSync(join(root, 'target'), { mode: 0o700 });
      symlinkSync(join(root, 'target'), dataDir);
    }

    // Act
    const prepared = prepareDataDir(dataDir);

    // Assess
    await expect(prepared).rejects.toThrow(new UnsafeDataDirError(`DATA_DIR ${dataDir} ${message}`));
  });
});

describe('a DATA_DIR that is not the runtime alone', () => {
  const groupWritable = () => {
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o770);
    return dataDir;
  };

  it('stops startRuntime before it reads or writes anything there', async () => {
    // Prepare
    const dataDir = groupWritable();

    // Act
    const start = startRuntime({ storage: 'memory', hostMode: 'files', dataDir, port: 0, log: silentLog });

    // Assess
    await expect(start).rejects.toThrow(UnsafeDataDirError);
    expect(existsSync(join(dataDir, 'auth-secret'))).toBe(false);
  });

  it('fails `npm start` with the reason and exit code 1', async () => {
    // Prepare
    const dataDir = groupWritable();

    // Act
    const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/start.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATA_DIR: dataDir, PORT: '0', VPG_STORAGE: 'memory', VPG_LOCAL_MODE: 'files' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // A start that does not fail would run until stopped: stop it (this child only) after a bound.
    const bound = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await new Promise<number | null>((done) => child.once('close', done));
    clearTimeout(bound);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(
      `Failed to start: DATA_DIR ${dataDir} is writable by group or others (mode 0770)`,
    );
    expect(existsSync(join(dataDir, 'auth-secret'))).toBe(false);
  }, 40_000);
});
