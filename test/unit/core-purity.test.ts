/**
 * The core is pure (docs/CONTRACT.md#shape): no SDK, no framework, no I/O module may be imported under lambdas/core.
 * The use cases (lambdas/app) reach the world only through ports: no SDK, middy, transport or env.
 * Tests and benchmarks share code only through the source tree, never by importing each other
 * (docs/DECISIONS.md, "One test helper folder").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = join(__dirname, '../..');
const CORE = join(ROOT, 'lambdas/core');
const APP = join(ROOT, 'lambdas/app');
const FORBIDDEN = [
  /^@aws-sdk\//,
  /^aws-cdk-lib(\/|$)/,
  /^@middy\//,
  /^(node:)?(fs|child_process|net|https?)(\/|$)/,
];
const APP_FORBIDDEN = [
  /^@aws-sdk\//,
  /^aws-cdk-lib(\/|$)/,
  /^@middy\//,
  /^aws-lambda$/,
  /(^|\/)(http|adapters|handlers)(\/|$)/,
  /(^|\/)shared\/env$/,
];
/** `import … from 'x'`, `import 'x'`, `export … from 'x'`, `require('x')`, `import('x')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*|\brequire\s*\(\s*|\bimport\s*\(\s*)['"]([^'"]+)['"]/g;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function forbiddenImports(source: string, forbidden: RegExp[] = FORBIDDEN): string[] {
  return [...source.matchAll(SPECIFIER)]
    .map((match) => match[1] ?? '')
    .filter((specifier) => forbidden.some((pattern) => pattern.test(specifier)));
}

describe('core purity', () => {
  it('recognises every forbidden form of import', () => {
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
      "import { randomBytes } from 'node:crypto';",
      "import { cidrsOverlap } from './cidr';",
    ].join('\n');
    // Act
    const found = forbiddenImports(source);
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
    ]);
  });

  it('finds no forbidden import in any file under lambdas/core', () => {
    // Prepare
    const files = filesUnder(CORE);
    // Act
    const offenders = files.flatMap((file) =>
      forbiddenImports(readFileSync(file, 'utf8')).map(
        (specifier) => `${relative(CORE, file)}: ${specifier}`,
      ),
    );
    // Assess
    expect(files.length).toBeGreaterThan(0);
    expect(offenders).toEqual([]);
  });
});

describe('use-case purity', () => {
  it('finds no SDK, middy, Lambda event type, transport, adapter or environment read under lambdas/app', () => {
    // Prepare
    const files = filesUnder(APP);
    // Act
    const offenders = files.flatMap((file) => {
      const source = readFileSync(file, 'utf8');
      const envReads = /\bprocess\.env\b/.test(source) ? ['process.env'] : [];
      return [...forbiddenImports(source, APP_FORBIDDEN), ...envReads].map(
        (what) => `${relative(APP, file)}: ${what}`,
      );
    });
    // Assess
    expect(files.length).toBeGreaterThan(0);
    expect(offenders).toEqual([]);
  });
});

/** Relative imports in `source` (the text of `file`) that land under `folder` of the repository. */
function importsInto(file: string, source: string, folder: string): string[] {
  return [...source.matchAll(SPECIFIER)]
    .map((match) => match[1] ?? '')
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
