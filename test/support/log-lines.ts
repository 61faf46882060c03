/** The structured log lines (lambdas/shared/logger.ts) a piece of work writes, for tests of what they carry. */
import type { RuntimeLog } from '../../runtime/runtime-log';

export type LogLine = Record<string, unknown>;

/** A RuntimeLog that keeps each notice as `{ level, message, ...fields }` in `lines`. */
export function recordingLog(): { log: RuntimeLog; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, message, ...fields });
  return { log: { info: at('INFO'), warn: at('WARN'), error: at('ERROR') }, lines };
}

/** Every JSON line written to stdout or stderr while `work` runs (nothing reaches the terminal). */
export async function captureLogLines(work: () => Promise<unknown>): Promise<LogLine[]> {
  return (await captureOutputLines(work))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Every non-empty line written to stdout or stderr while `work` runs, JSON or not. */
export async function captureOutputLines(work: () => Promise<unknown>): Promise<string[]> {
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
    .filter((line) => line !== '');
}
