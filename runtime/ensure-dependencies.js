#!/usr/bin/env node
/**
 * `npm start`'s first step: installs dependencies only when they are missing or package-lock.json
 * changed since the last install (its SHA-256 is kept in node_modules), so a start with everything
 * installed costs a hash, not an `npm ci`. Plain Node with built-ins only: it runs before anything
 * is installed. `--check` installs nothing: it says why it would install and exits 1, or exits 0
 * (bench section 8 asks before it runs `npm start`). `--always` installs whatever the stamp says
 * (`npm test` starts from a clean install every time) and stamps it, so the `npm start` after it
 * installs nothing.
 */
const { createHash } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const lockFile = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.installed-lock-sha256');
const lockHash = createHash('sha256').update(readFileSync(lockFile)).digest('hex');
const installed = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : undefined;

const always = process.argv.includes('--always');
if (always || installed !== lockHash) {
  const reason = always
    ? 'a clean install, as npm test always makes'
    : installed === undefined
      ? `no record of an install by npm start (${stamp})`
      : 'package-lock.json changed since the last install';
  if (process.argv.includes('--check')) {
    process.stderr.write(`npm start would install dependencies (npm ci): ${reason}\n`);
    process.exit(1);
  }
  process.stderr.write(`Installing dependencies (npm ci): ${reason}…\n`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, `${lockHash}\n`);
}
