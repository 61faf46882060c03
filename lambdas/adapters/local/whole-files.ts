/**
 * How the embedded runtime writes a file that a reader, or the runtime itself after a crash, must
 * see whole or not at all: the value goes to a temporary file beside the target (same directory,
 * so same file system), which then takes the target's name in one step. A crash in between leaves
 * at most a stray temporary, never the target's name with an empty or partial value
 * (docs/DECISIONS.md, "Local files written whole").
 */
import { randomUUID } from 'node:crypto';
import { link, rename, rm, writeFile } from 'node:fs/promises';

/**
 * Creates `path` holding `value` unless `path` exists; the first writer wins, as S3's
 * `If-None-Match: *`. Answers whether this call created it. A hard link (not a rename) takes the
 * name, since it fails when the name exists instead of replacing it.
 */
export async function createFileWhole(path: string, value: string, mode = 0o600): Promise<boolean> {
  return withTemporary(path, value, mode, async (temporary) => {
    try {
      await link(temporary, path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
  });
}

/** Writes `value` at `path`, replacing what is there: a reader meanwhile sees the old file or the new one. */
export async function replaceFileWhole(path: string, value: string, mode?: number): Promise<void> {
  await withTemporary(path, value, mode, (temporary) => rename(temporary, path));
}

/** Runs `publish` on a temporary file beside `path` holding `value`; the temporary is gone after. */
async function withTemporary<T>(
  path: string,
  value: string,
  mode: number | undefined,
  publish: (temporary: string) => Promise<T>,
): Promise<T> {
  // Unique per write: concurrent writers of one name never share a temporary.
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, value, { flag: 'wx', ...(mode === undefined ? {} : { mode }) });
    return await publish(temporary);
  } finally {
    // After a rename there is nothing left to remove; after a link, the name keeps the file.
    await rm(temporary, { force: true });
  }
}
