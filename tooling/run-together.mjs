/**
 * `node tooling/run-together.mjs lint build console:build`: runs those npm scripts side by side
 * and fails when any of them fails. `npm test` runs its independent checks this way: each is one
 * single-threaded process, and one after the other they left a core idle for about a minute
 * (docs/DECISIONS.md, "npm test's checks run side by side").
 *
 * Each script's output is held and printed whole when it ends, under its name, so two logs never
 * interleave line by line. Every script runs to its end: a failure of one still shows the others'.
 */
import { spawn } from 'node:child_process';

const scripts = process.argv.slice(2);
if (scripts.length === 0) {
  process.stderr.write('usage: node tooling/run-together.mjs <npm script>...\n');
  process.exit(2);
}

/** Runs `npm run <script>`, its stdout and stderr kept in order in one buffer. */
function run(script) {
  const started = Date.now();
  return new Promise((settle) => {
    const child = spawn('npm', ['run', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => output.push(Buffer.from(`${error.message}\n`)));
    child.on('close', (code, signal) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const ending =
        code === 0 ? `passed in ${seconds} s` : `FAILED (${signal ?? `exit ${code}`}) after ${seconds} s`;
      process.stdout.write(`\n── npm run ${script}: ${ending} ──\n`);
      process.stdout.write(Buffer.concat(output));
      settle(code === 0);
    });
  });
}

const results = await Promise.all(scripts.map(run));
const failed = scripts.filter((_, index) => !results[index]);
if (failed.length > 0) {
  process.stderr.write(`\nFailed: ${failed.map((script) => `npm run ${script}`).join(', ')}\n`);
  process.exit(1);
}
