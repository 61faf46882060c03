/**
 * The Lambda catalog against the code: lib/handlers.ts lists exactly the handlers of
 * docs/ARCHITECTURE.md, each bundles with the deployed esbuild options into a module that exports
 * `handler`, and each function is granted the access of the adapters its bundle holds, no more.
 * The bundles also keep the size measures of lib/constructs/bundling.ts in force.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCESS, type Access } from '../../lib/access-catalog';
import { bundleHandler, type HandlerBundle } from '../../lib/constructs/bundling';
import { HANDLERS, REPO_ROOT } from '../../lib/handlers';

/** The adapter folder (lambdas/adapters/<name>) behind each kind of access. */
const ADAPTER_OF: Record<Access, string> = {
  'table-read': 'dynamodb',
  table: 'dynamodb',
  'status-store': 'dynamodb',
  'generation-raise': 'dynamodb',
  'secrets-delete': 's3',
  'gateway-secrets-list': 's3',
  'preshared-keys-list': 's3',
  'preshared-keys-delete': 's3',
  'preshared-keys-write': 's3',
  secrets: 's3',
  'deliver-secrets': 's3',
  config: 's3',
  'config-read': 's3',
  'config-prune': 's3',
  commands: 'ssm',
  'report-commands': 'ssm',
  'teardown-commands': 'ssm',
  'published-delete': 's3',
  'command-status': 'ssm',
  'workflow:create-peering': 'sfn',
  'workflow:delete-peering': 'sfn',
  'workflow:push-gateway': 'sfn',
  audit: 'events',
};

/** Rows `| \`lambdas/handlers/x.ts\` | \`${Substitution}\` or – |` of the architecture table. */
function documentedHandlers(): Array<{ entry: string; substitution?: string }> {
  const doc = readFileSync(join(REPO_ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
  return [...doc.matchAll(/^\| `(lambdas\/handlers\/[^`]+\.ts)` \| (?:`\$\{(\w+)\}`|[^|]*) \|$/gm)].map(
    (row) => ({
      entry: row[1] as string,
      ...(row[2] ? { substitution: row[2] } : {}),
    }),
  );
}

/**
 * Adapters that need no access of their own: dynamodb-stream decodes the records the event source
 * mapping delivers; signed-s3 is the transport the s3 and ssm adapters send object requests through.
 */
const NEEDS_NO_ACCESS = new Set(['dynamodb-stream', 'signed-s3']);

function adaptersIn(bundle: HandlerBundle): string[] {
  const adapters = bundle.inputs.flatMap((input) => /^lambdas\/adapters\/([^/]+)\//.exec(input)?.[1] ?? []);
  return [...new Set(adapters)].filter((adapter) => !NEEDS_NO_ACCESS.has(adapter)).sort();
}

const outdir = mkdtempSync(join(tmpdir(), 'handler-bundles-'));
const bundles = new Map<string, HandlerBundle>();

beforeAll(async () => {
  for (const spec of HANDLERS)
    bundles.set(spec.name, await bundleHandler(REPO_ROOT, spec.entry, join(outdir, `${spec.name}.js`)));
});

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

test('the catalog is the handler table of docs/ARCHITECTURE.md', () => {
  // Act
  const catalog = HANDLERS.map((spec) => ({
    entry: spec.entry,
    ...('substitution' in spec ? { substitution: spec.substitution } : {}),
  }));

  // Assess
  expect(catalog).toEqual(documentedHandlers());
});

test.each(HANDLERS.map((spec) => spec.name))('the %s bundle loads and exports handler', (name) => {
  // Act
  const loaded = require(join(outdir, `${name}.js`)) as { handler?: unknown };

  // Assess
  expect(typeof loaded.handler).toBe('function');
});

test.each(HANDLERS.map((spec) => spec.name))(
  '%s is granted the access of the adapters it bundles',
  (name) => {
    // Prepare
    const bundle = bundles.get(name) as HandlerBundle;
    const granted = [...new Set(ACCESS[name].map((access) => ADAPTER_OF[access]))].sort();

    // Assess
    expect(granted).toEqual(adaptersIn(bundle));
  },
);

/** Credential providers of the SDK's default chain other than the environment one. */
const CHAIN_PROVIDERS =
  /node_modules\/@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|http|login)|nested-clients)\//;

test.each(HANDLERS.map((spec) => spec.name))('%s takes its credentials from the environment only', (name) => {
  // Prepare
  const { inputs } = bundles.get(name) as HandlerBundle;

  // Assess
  expect(inputs).toContain('lambdas/shared/lambda-credentials.ts');
  expect(inputs.filter((input) => CHAIN_PROVIDERS.test(input))).toEqual([]);
});

test.each(HANDLERS.map((spec) => spec.name))(
  '%s holds no LRU library for an endpoint discovery never used',
  (name) => {
    // Prepare
    const { inputs } = bundles.get(name) as HandlerBundle;

    // Assess: the DynamoDB client's endpoint cache runs on lambdas/shared/lru-cache.ts.
    expect(inputs.filter((input) => /node_modules\/(mnemonist|obliterator)\//.test(input))).toEqual([]);
  },
);

/**
 * The handler that copies secrets, the one S3 operation signed requests do not cover
 * (lambdas/adapters/signed-s3/http-objects.ts); every other handler, deleting under a prefix included,
 * reaches S3 by signed requests or not at all, and its bundle stays clear of the client
 * (docs/DECISIONS.md, "Lambda bundles").
 */
const S3_CLIENT_HOLDERS: readonly string[] = ['push-config'];
const S3_CLIENT = /node_modules\/@aws-sdk\/(client-s3|middleware-sdk-s3)\//;

test.each(HANDLERS.map((spec) => spec.name))('%s bundles the S3 client only if it copies', (name) => {
  // Prepare
  const { inputs } = bundles.get(name) as HandlerBundle;

  // Act
  const holdsClient = inputs.some((input) => S3_CLIENT.test(input));

  // Assess
  expect(holdsClient).toBe(S3_CLIENT_HOLDERS.includes(name));
});

test('a bundle keeps only the SDK schemas of the operations it calls', () => {
  // Act
  const pushConfig = readFileSync(join(outdir, 'push-config.js'), 'utf8');

  // Assess
  expect(pushConfig).toContain('CopyObject');
  expect(pushConfig).not.toContain('ListBucketAnalyticsConfigurations');
  expect(pushConfig).not.toContain('DescribeMaintenanceWindows');
});
