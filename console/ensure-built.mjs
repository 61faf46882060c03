/**
 * `npm run console:build` (run by `npm start` and `npm test`): installs the console's dependencies
 * only when console/node_modules is missing or console/package-lock.json changed since the last
 * install, and builds only when a source (or the OpenAPI document it is typed from) changed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const consoleDir = dirname(fileURLToPath(import.meta.url));
const lockFile = join(consoleDir, 'package-lock.json');
const installStamp = join(consoleDir, 'node_modules', '.lock-hash');
const buildStamp = join(consoleDir, 'dist', '.source-hash');
const SOURCES = [
  'src',
  'index.html',
  'vite.config.ts',
  'tsconfig.json',
  'package-lock.json',
  'public',
  'generate-schema.mjs',
];
const OPENAPI = join(consoleDir, '..', 'lambdas', 'openapi', 'openapi.json');

function filesUnder(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}

function hashOf(paths) {
  const hash = createHash('sha256');
  for (const path of paths) {
    // The generated client (types and enum values) follows from the OpenAPI document, which is
    // hashed itself; schema.d.ts is its name before session 16.
    if (/api[\\/]schema\.(d\.)?ts$/.test(path)) continue;
    hash.update(relative(consoleDir, path)).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex');
}

const read = (path) => (existsSync(path) ? readFileSync(path, 'utf8').trim() : '');
const npm = (...args) => execFileSync('npm', args, { cwd: consoleDir, stdio: 'inherit' });

const lockHash = hashOf([lockFile]);
// `--check`: install and build nothing; exit 1 when an install would run (bench section 8).
if (process.argv.includes('--check')) {
  const installNeeded = read(installStamp) !== lockHash;
  if (installNeeded) process.stderr.write('console: would install dependencies (npm ci)\n');
  process.exit(installNeeded ? 1 : 0);
}
if (read(installStamp) !== lockHash) {
  process.stdout.write('console: installing dependencies (console/package-lock.json changed)\n');
  npm('ci', '--no-audit', '--no-fund', '--prefer-offline');
  writeFileSync(installStamp, `${lockHash}\n`);
}

const sourceHash = hashOf([...SOURCES.flatMap((name) => filesUnder(join(consoleDir, name))), OPENAPI]);
if (read(buildStamp) !== sourceHash) {
  process.stdout.write('console: building (sources changed)\n');
  npm('run', 'build');
  writeFileSync(buildStamp, `${sourceHash}\n`);
} else {
  process.stdout.write('console: up to date\n');
}
