/**
 * DATA_DIR is the runtime's alone (docs/SECURITY.md, "The local runtime"). Everything under it
 * (the auth secret, the table file, state documents, the scripts root runs) is then out of other
 * accounts' reach whatever umask or library (java, sqlite) created it, so files keep their modes.
 * A DATA_DIR another account owns, or may have written to, is refused: its files (a planted
 * auth secret, a swapped script) cannot be trusted.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

export class UnsafeDataDirError extends Error {
  override readonly name = 'UnsafeDataDirError';
}

const OWNER_ONLY = 0o700;
const GROUP_OR_OTHERS_WRITE = 0o022;

/**
 * Creates `dataDir` 0700, or checks an existing one (a directory of this user, not writable by group
 * or others) and sets it to 0700. Throws UnsafeDataDirError, with what to do, before anything in it
 * is read.
 */
export async function prepareDataDir(dataDir: string): Promise<void> {
  await mkdir(dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { mode: OWNER_ONLY }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  // Checked and changed through one descriptor: the path cannot be swapped in between.
  const directory = await open(
    dataDir,
    constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW,
  ).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'ELOOP' && error.code !== 'ENOTDIR') throw error;
    // Linux answers ENOTDIR for a link to a directory too: O_DIRECTORY is checked first.
    const link = (await lstat(dataDir)).isSymbolicLink();
    throw new UnsafeDataDirError(
      link
        ? `DATA_DIR ${dataDir} is a symbolic link: give the directory itself`
        : `DATA_DIR ${dataDir} is not a directory`,
    );
  });
  try {
    const stats = await directory.stat();
    const uid = process.getuid?.();
    if (uid !== undefined && stats.uid !== uid) {
      throw new UnsafeDataDirError(
        `DATA_DIR ${dataDir} belongs to uid ${stats.uid}, not to this user (uid ${uid}): ` +
          'its files cannot be trusted; use a directory of your own',
      );
    }
    if ((stats.mode & GROUP_OR_OTHERS_WRITE) !== 0) {
      const mode = (stats.mode & 0o777).toString(8).padStart(4, '0');
      throw new UnsafeDataDirError(
        `DATA_DIR ${dataDir} is writable by group or others (mode ${mode}): ` +
          'check what is in it, then chmod 700 it, or use a new directory',
      );
    }
    await directory.chmod(OWNER_ONLY);
  } finally {
    await directory.close();
  }
}
