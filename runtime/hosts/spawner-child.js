/**
 * The spawner's helper process (runtime/hosts/spawner.ts): runs one-shot commands for a large Node
 * process, so that the fork happens here, in a process of about 40 MB, and not in the caller,
 * where Node's spawn forks the whole address space on its event loop (about 17 ms at 150 MB of
 * resident memory, 35 ms at 1 GB, on the 2-core development machine).
 *
 * Plain JavaScript, started with `node` alone: it must be quick to start and need no loader.
 * Protocol, one JSON object per line: requests on stdin `{ id, argv, env }`; answers on stdout
 * `{ id, exitCode, signal, stdout, stderr }` (outputs base64-encoded) or `{ id, error: { code,
 * message } }` when the command could not start. It exits when its stdin ends: its parent closes
 * it once idle (never while a command runs), or the parent is gone. SIGINT and SIGTERM leave it
 * running.
 */

// Only its parent ends it (stdin, below). A Ctrl-C or a SIGTERM sent to the whole process group
// reaches it too, and the parent's clean stop then still runs its commands (namespaces removed)
// through it. Set first: the helper may be signalled while it starts.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => {});

const { spawn } = require('node:child_process');
const { createInterface } = require('node:readline');

const answer = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

function runCommand({ id, argv, env }) {
  const done = (message) => answer({ id, ...message });
  let child;
  try {
    child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    done({ error: { code: error.code, message: error.message } });
    return;
  }
  const stdout = [];
  const stderr = [];
  child.stdout.on('data', (chunk) => stdout.push(chunk));
  child.stderr.on('data', (chunk) => stderr.push(chunk));
  let settled = false;
  child.on('error', (error) => {
    if (settled) return;
    settled = true;
    done({ error: { code: error.code, message: error.message } });
  });
  child.on('close', (code, signal) => {
    if (settled) return;
    settled = true;
    done({
      exitCode: code,
      signal,
      stdout: Buffer.concat(stdout).toString('base64'),
      stderr: Buffer.concat(stderr).toString('base64'),
    });
  });
}

createInterface({ input: process.stdin }).on('line', (line) => runCommand(JSON.parse(line)));
process.stdin.on('end', () => process.exit(0));
