/** The structured log lines (lambdas/shared/logger.ts) a piece of work writes, for tests of what they carry. */

export type LogLine = Record<string, unknown>;

/** Every JSON line written to stdout or stderr while `work` runs (nothing reaches the terminal). */
export async function captureLogLines(work: () => Promise<unknown>): Promise<LogLine[]> {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await work();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}
