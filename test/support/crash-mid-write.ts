/**
 * A process that dies while it writes a file, without killing the test: the next file write
 * (`fs/promises` writeFile, or a FileHandle's writeFile) creates its file if it must, empty, and
 * then never returns, so nothing after it runs (no clean-up either). What is on disk is what a
 * crash at that moment leaves; the writes after it, as a restarted process's, are real again.
 */
import { closeSync, openSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';

// The module object itself (an `import *` would be a copy), so the code under test sees the stub.
const fsPromises: typeof import('node:fs/promises') = require('node:fs/promises');

/** Arms the crash; resolves with the path being written once the next write has "died". */
export async function crashAtNextFileWrite(scratchFile: string): Promise<{ crashed: Promise<string> }> {
  const probe = await fsPromises.open(scratchFile, 'w');
  const handlePrototype = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  let reportCrash: (path: string) => void = () => undefined;
  const crashed = new Promise<string>((resolve) => {
    reportCrash = resolve;
  });
  const never = new Promise<never>(() => undefined);
  const die = (path: string): Promise<never> => {
    moduleWrite.mockRestore();
    handleWrite.mockRestore();
    reportCrash(path);
    return never;
  };
  const moduleWrite = jest.spyOn(fsPromises, 'writeFile').mockImplementation(async (file) => {
    const path = String(file);
    // As the real call: the file exists (created now, unless the flag forbids) before any byte.
    closeSync(openSync(path, 'a', 0o600));
    return die(path);
  });
  const handleWrite = jest.spyOn(handlePrototype, 'writeFile').mockImplementation(function (
    this: FileHandle,
  ) {
    return die(`file descriptor ${this.fd}`);
  });
  return { crashed };
}
