/**
 * The size measures of lib/constructs/bundling.ts change how the SDK is bundled, never what it
 * does: the schema rewrite yields the same schemas, the trimmed package.json still holds all its
 * code reads, and the Lambda credential provider resolves the environment's credentials.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import MnemonistLru from 'mnemonist/lru-cache';
import { defaultProvider } from '../../lambdas/shared/lambda-credentials';
import LRUCache from '../../lambdas/shared/lru-cache';
import { clientPackageInfo, inlineSchemaKeys, SDK_SCHEMA_MODULE } from '../../lib/constructs/bundling';
import { REPO_ROOT } from '../../lib/handlers';

/** The SDK clients the Lambdas bundle. */
const CLIENTS = ['client-s3', 'client-ssm', 'client-dynamodb', 'client-sfn', 'client-eventbridge'];
const sdkDir = (client: string) => join(REPO_ROOT, 'node_modules/@aws-sdk', client);
const schemaModule = (client: string) => join(sdkDir(client), 'dist-es/schemas/schemas_0.js');

type Exports = Record<string, unknown>;

/** The module's exports, bundled to CommonJS and evaluated; `rewrite` applies to it alone. */
async function evaluate(file: string, rewrite: (source: string) => string): Promise<Exports> {
  const result = await build({
    stdin: { contents: rewrite(readFileSync(file, 'utf8')), resolveDir: dirname(file), loader: 'js' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    write: false,
    logLevel: 'silent',
  });
  const module = { exports: {} as Exports };
  new Function('module', 'exports', 'require', result.outputFiles[0]?.text ?? '')(
    module,
    module.exports,
    require,
  );
  return module.exports;
}

/** A schema as plain data: thunks become the name of the export they return, classes their name. */
function describe$(value: unknown, names: Map<unknown, string>, depth = 0): unknown {
  if (Array.isArray(value)) return value.map((item) => describe$(item, names, depth + 1));
  if (typeof value === 'function') {
    if (/^class\b/.test(Function.prototype.toString.call(value))) return `class ${value.name}`;
    const target = (value as () => unknown)();
    return names.get(target) ?? (depth > 8 ? '…' : describe$(target, names, depth + 1));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, item]) => [key, describe$(item, names, depth + 1)]),
    );
  }
  return value;
}

function schemasOf(exports: Exports): Record<string, unknown> {
  const names = new Map(Object.entries(exports).map(([name, value]) => [value, name] as const));
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([name]) => name.endsWith('$'))
      .map(([name, value]) => [name, describe$(value, names)]),
  );
}

describe('inlineSchemaKeys', () => {
  test('writes computed keys over string constants as literal keys', () => {
    // Prepare
    const source =
      'const _e = "error";\nconst _c = "client";\nexport var A$ = [-3, n0, "A", { [_e]: _c, [other]: 1 }];';

    // Act
    const rewritten = inlineSchemaKeys(source);

    // Assess
    expect(rewritten).toContain('{ ["error"]: _c, [other]: 1 }');
  });

  test('matches the schema modules of the SDK clients', () => {
    // Assess
    for (const client of CLIENTS) expect(SDK_SCHEMA_MODULE.test(schemaModule(client))).toBe(true);
  });

  test.each(CLIENTS)('leaves every schema of %s as it was', async (client) => {
    // Prepare
    const original = schemasOf(await evaluate(schemaModule(client), (source) => source));

    // Act
    const rewritten = schemasOf(await evaluate(schemaModule(client), inlineSchemaKeys));

    // Assess
    expect(Object.keys(original).length).toBeGreaterThan(10);
    expect(rewritten).toEqual(original);
  });
});

describe('clientPackageInfo', () => {
  test.each(CLIENTS)('keeps all that the code of %s reads from its package.json', (client) => {
    // Prepare
    const dist = join(sdkDir(client), 'dist-es');
    const read = readdirSync(dist)
      .filter((file) => file.endsWith('.js'))
      .flatMap((file) => [...readFileSync(join(dist, file), 'utf8').matchAll(/\bpackageInfo\.(\w+)/g)])
      .map((match) => match[1]);
    const packageJson = readFileSync(join(sdkDir(client), 'package.json'), 'utf8');

    // Act
    const kept = JSON.parse(clientPackageInfo(packageJson)) as Record<string, unknown>;

    // Assess
    expect(read.length).toBeGreaterThan(0);
    for (const field of read) expect(kept[field as string]).toBe(JSON.parse(packageJson)[field as string]);
  });
});

describe('the Lambda credential provider', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('resolves the credentials of the environment', async () => {
    // Prepare
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    process.env.AWS_SESSION_TOKEN = 'token';

    // Act
    const credentials = await defaultProvider()();

    // Assess
    expect(credentials).toMatchObject({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
    });
  });

  test('fails as a credential provider does when the environment has none', async () => {
    // Prepare
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;

    // Act
    const resolving = defaultProvider()();

    // Assess
    await expect(resolving).rejects.toMatchObject({ name: 'CredentialsProviderError' });
  });
});

describe('the LRU cache that stands in for mnemonist in the bundles', () => {
  /** The calls @aws-sdk/endpoint-cache makes, and what each answered. */
  function exercise(cache: {
    get(key: string): unknown;
    peek(key: string): unknown;
    has(key: string): boolean;
    set(key: string, value: number): unknown;
    clear(): void;
  }): unknown[] {
    const answers: unknown[] = [];
    cache.set('a', 1);
    cache.set('b', 2);
    answers.push(cache.get('a'), cache.has('b'));
    cache.set('c', 3); // evicts b, the least recently used
    answers.push(cache.has('b'), cache.peek('a'), cache.get('c'));
    cache.set('a', 4);
    cache.set('d', 5); // peek did not refresh: evicts c
    answers.push(cache.has('c'), cache.get('a'), cache.get('d'), cache.get('missing'));
    cache.clear();
    answers.push(cache.has('a'));
    return answers;
  }

  test("answers the endpoint cache's calls as mnemonist does", () => {
    // Act
    const shim = exercise(new LRUCache<string, number>(2));
    const real = exercise(new MnemonistLru<string, number>(2));

    // Assess
    expect(shim).toEqual(real);
  });
});
