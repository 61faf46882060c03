/**
 * The core is pure (docs/CONTRACT.md#shape): it imports only its own files, ipaddr.js, tweetnacl
 * and node:crypto (docs/ARCHITECTURE.md "Layers"), and touches no `process`.
 * The use cases (lambdas/app) reach the world only through ports: no SDK, middy, transport or env.
 * Tests and benchmarks share code only through the source tree, never by importing each other
 * (docs/DECISIONS.md, "One test helper folder").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '../..');
const CORE = join(ROOT, 'lambdas/core');
const APP = join(ROOT, 'lambdas/app');
/** Everything else core/ imports is refused: an allow-list, so a new SDK or module needs no new rule. */
const CORE_ALLOWED_PACKAGES = ['ipaddr.js', 'tweetnacl', 'node:crypto'];
const APP_FORBIDDEN = [
  /^@aws-sdk\//,
  /^@smithy\//,
  /^@aws-lambda-powertools\//,
  /^aws-cdk-lib(\/|$)/,
  /^@middy\//,
  /^aws-lambda$/,
  /^(node:)?process$/,
  /(^|\/)(http|adapters|handlers)(\/|$)/,
  /(^|\/)shared\/env$/,
];
/** `import … from 'x'`, `import 'x'`, `export … from 'x'`, `require('x')`, `import('x')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*|\bimport\s*\(\s*)['"]([^'"]+)['"]/g;
/** Block comments, and line comments not inside a URL or string (`https://…`). */
const COMMENTS = /\/\*[\s\S]*?\*\/|(^|[^:'"`\w])\/\/.*$/gm;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

const specifiers = (source: string) => [...source.matchAll(SPECIFIER)].map((match) => match[1] ?? '');

/** What `file` (under lambdas/core) imports beyond core's own files and its three packages. */
function coreOffenders(file: string, source: string): string[] {
  return specifiers(source).filter((specifier) =>
    specifier.startsWith('.')
      ? relative(CORE, resolve(dirname(file), specifier)).startsWith('..')
      : !CORE_ALLOWED_PACKAGES.includes(specifier),
  );
}

function forbiddenImports(source: string, forbidden: RegExp[]): string[] {
  return specifiers(source).filter((specifier) => forbidden.some((pattern) => pattern.test(specifier)));
}

/** `process` in code (not in a comment): `process.env`, `const { env } = process`, `process['env']`. */
const usesProcess = (source: string) => /\bprocess\b/.test(source.replace(COMMENTS, '$1'));

/** Everything a core file does that the core may not: each import beyond its allow-list, `process`. */
const coreViolations = (file: string, source: string) => [
  ...coreOffenders(file, source),
  ...(usesProcess(source) ? ['process'] : []),
];

/** Everything an app file does that a use case may not: each forbidden import, `process`. */
const appViolations = (source: string) => [
  ...forbiddenImports(source, APP_FORBIDDEN),
  ...(usesProcess(source) ? ['process'] : []),
];

describe('core purity', () => {
  it('refuses every import beyond core files, ipaddr.js, tweetnacl and node:crypto', () => {
    // Prepare
    const source = [
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
      "import * as cdk from 'aws-cdk-lib';",
      "import middy from '@middy/core';",
      "import { readFileSync } from 'node:fs';",
      "import 'fs/promises';",
      "const cp = require('child_process');",
      "export { connect } from 'node:net';",
      "const http = await import('http');",
      "import type { Context } from 'aws-lambda';",
      "import { NodeHttpHandler } from '@smithy/node-http-handler';",
      "import { env } from '../shared/env';",
      "import { DynamoRepository } from '../adapters/dynamodb/repository';",
      "import { lookup } from 'node:dns';",
      "import { randomBytes } from 'node:crypto';",
      "import * as ipaddr from 'ipaddr.js';",
      "import nacl from 'tweetnacl';",
      "import { cidrsOverlap } from './cidr';",
      "import type { Peering } from '../core/types';",
    ].join('\n');
    // Act
    const found = coreViolations(join(CORE, 'probe.ts'), source);
    // Assess
    expect(found).toEqual([
      '@aws-sdk/client-dynamodb',
      'aws-cdk-lib',
      '@middy/core',
      'node:fs',
      'fs/promises',
      'child_process',
      'node:net',
      'http',
      'aws-lambda',
      '@smithy/node-http-handler',
      '../shared/env',
      '../adapters/dynamodb/repository',
      'node:dns',
    ]);
  });

  it.each([
    ['export const table = process.env.TABLE_NAME;'],
    ['const { env } = process;'],
    ["const table = process['env'].TABLE_NAME;"],
    ["const url = 'https://example.com/' + process.env.HOST;"],
  ])('refuses `process` in code: %s', (line) => {
    // Prepare
    const source = `// the process is long-lived\n${line}\n`;
    // Act
    const found = coreViolations(join(CORE, 'probe.ts'), source);
    // Assess
    expect(found).toEqual(['process']);
  });

  it('lets `process` pass in a comment', () => {
    // Prepare
    const source = [
      '/** The instance processes one push at a time: its process restarts. */',
      'const guide = 1; // a process',
      'const processed = 1;',
    ].join('\n');
    // Act
    const found = coreViolations(join(CORE, 'probe.ts'), source);
    // Assess
    expect(found).toEqual([]);
  });

  it('finds no forbidden import and no `process` in any file under lambdas/core', () => {
    // Prepare
    const files = filesUnder(CORE);
    // Act
    const offenders = files.flatMap((file) =>
      coreViolations(file, readFileSync(file, 'utf8')).map((what) => `${relative(CORE, file)}: ${what}`),
    );
    // Assess
    expect(files.length).toBeGreaterThan(0);
    expect(offenders).toEqual([]);
  });
});

describe('use-case purity', () => {
  it('refuses SDK, Smithy, middy, Lambda types, transport, adapters, env and `process`', () => {
    // Prepare
    const source = [
      "import { SQSClient } from '@aws-sdk/client-sqs';",
      "import { NodeHttpHandler } from '@smithy/node-http-handler';",
      "import type { Context } from 'aws-lambda';",
      "import { env } from '../shared/env';",
      "import { toErrorResponse } from '../http/errors';",
      "import { DynamoRepository } from '../adapters/dynamodb/repository';",
      "const sqs = require('@aws-sdk/client-sqs');",
      "import { randomBytes } from 'node:crypto';",
      "import { retry } from '../shared/retry';",
      "import { ConflictError } from '../core/errors';",
      'const { env: settings } = process;',
    ].join('\n');
    // Act
    const found = appViolations(source);
    // Assess
    expect(found).toEqual([
      '@aws-sdk/client-sqs',
      '@smithy/node-http-handler',
      'aws-lambda',
      '../shared/env',
      '../http/errors',
      '../adapters/dynamodb/repository',
      '@aws-sdk/client-sqs',
      'process',
    ]);
  });

  it('finds no SDK, middy, Lambda event type, transport, adapter or environment read under lambdas/app', () => {
    // Prepare
    const files = filesUnder(APP);
    // Act
    const offenders = files.flatMap((file) =>
      appViolations(readFileSync(file, 'utf8')).map((what) => `${relative(APP, file)}: ${what}`),
    );
    // Assess
    expect(files.length).toBeGreaterThan(0);
    expect(offenders).toEqual([]);
  });
});

/** Relative imports in `source` (the text of `file`) that land under `folder` of the repository. */
function importsInto(file: string, source: string, folder: string): string[] {
  return specifiers(source)
    .filter((specifier) => specifier.startsWith('.'))
    .filter((specifier) => !relative(join(ROOT, folder), resolve(dirname(file), specifier)).startsWith('..'));
}

describe('test and bench boundaries', () => {
  const sources = (folder: string) =>
    filesUnder(join(ROOT, folder)).filter(
      (file) => /\.(ts|tsx|js|mjs)$/.test(file) && !file.includes('/results/'),
    );

  it('recognises a relative import that lands in the other folder', () => {
    // Prepare
    const source = [
      "import { launchChromium } from '../test/console/browser';",
      "import { launchChromium } from '../tooling/chromium';",
      "import { round } from './harness';",
      "import type { Page } from 'playwright-core';",
    ].join('\n');
    // Act
    const found = importsInto(join(ROOT, 'bench/console.ts'), source, 'test');
    // Assess
    expect(found).toEqual(['../test/console/browser']);
  });

  it.each([
    ['bench', 'test'],
    ['test', 'bench'],
  ])('no file under %s/ imports from %s/', (from, into) => {
    // Prepare
    const files = sources(from);
    // Act
    const offenders = files.flatMap((file) =>
      importsInto(file, readFileSync(file, 'utf8'), into).map(
        (specifier) => `${relative(ROOT, file)}: ${specifier}`,
      ),
    );
    // Assess
    expect(files.length).toBeGreaterThan(0);
    expect(offenders).toEqual([]);
  });
});
