#!/usr/bin/env node
/**
 * `npm start`'s first step: installs dependencies only when they are missing or package-lock.json
 * changed since the last install (its SHA-256 is kept in node_modules), so a start with everything
 * installed costs a hash, not an `npm ci`. Plain Node with built-ins only: it runs before anything
 * is installed.
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

if (installed !== lockHash) {
  process.stderr.write(
    installed === undefined
      ? 'Installing dependencies (npm ci)…\n'
      : 'package-lock.json changed: reinstalling dependencies (npm ci)…\n',
  );
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, `${lockHash}\n`);
}
