/**
 * Runs one benchmark section in this (fresh) process and writes its result as JSON to a file:
 * `tsx bench/child.ts <section> <result-file>`. SIGTERM (the parent's time bound) stops every
 * runtime the section started, so no DynamoDB Local or wireguard-go outlives it.
 */
import '../runtime/polyfills';
import { writeFile } from 'node:fs/promises';
import { stopAllRuntimes } from './harness';
import { SECTIONS } from './sections';

const [name, resultFile] = process.argv.slice(2);

async function main(): Promise<void> {
  const section = SECTIONS.find((s) => s.name === name);
  if (!section || !resultFile)
    throw new Error(`usage: child.ts <${SECTIONS.map((s) => s.name).join('|')}> <file>`);
  process.once('SIGTERM', () => {
    stopAllRuntimes().finally(() => process.exit(143));
  });
  const result = await section.run();
  await writeFile(resultFile, JSON.stringify(result));
}

main().then(
  () => process.exit(0),
  async (error: Error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    // The parent reports the message; the exit code says it is an error.
    if (resultFile) await writeFile(resultFile, JSON.stringify({ error: error.message })).catch(() => {});
    stopAllRuntimes().finally(() => process.exit(1));
  },
);
