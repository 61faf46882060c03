/**
 * How every Lambda is bundled: one esbuild build, used by the CDK construct (PeeringFunction runs
 * this file as a child process, since CDK bundles synchronously and esbuild plugins need the async
 * API), the bundle-size bench and the infra tests, so what is measured and tested is what is
 * deployed. Why each option exists: docs/DECISIONS.md, "Lambda bundles".
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';

/**
 * ESM entry points first: the SDK's ES modules tree-shake, its CommonJS builds do not. The default
 * credential chain is swapped for the environment provider, the only one a Lambda function uses
 * (its role's credentials are in the environment); this drops the SSO, INI, process, web-identity
 * and container providers and the STS/SSO clients they carry.
 */
const BUNDLE_OPTIONS = {
  target: 'node22',
  format: 'cjs',
  platform: 'node',
  minify: true,
  legalComments: 'none',
  mainFields: ['module', 'main'],
  alias: {
    '@aws-sdk/credential-provider-node': './lambdas/shared/lambda-credentials.ts',
    // The DynamoDB client's endpoint cache, for a discovery never turned on (lambdas/shared/lru-cache.ts).
    'mnemonist/lru-cache': './lambdas/shared/lru-cache.ts',
  },
} as const;

/** The generated schema modules of an SDK client (`dist-es/schemas/schemas_0.js`). */
export const SDK_SCHEMA_MODULE = /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
/** An SDK client's package.json, which its runtime config imports whole for the user agent. */
export const SDK_CLIENT_PACKAGE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]package\.json$/;

/**
 * The SDK's schema modules write trait keys as computed keys over string constants
 * (`{ [_e]: _c }`); esbuild cannot prove such a key free of side effects, so it keeps every
 * schema of the service, used or not (aws/aws-sdk-js-v3#7607). Inlining the constant
 * (`{ ["error"]: _c }`) is the same object and lets unused schemas be dropped, as the codegen
 * fix proposed upstream does (smithy-lang/smithy-typescript#1889).
 */
export function inlineSchemaKeys(source: string): string {
  const constants = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(/^const (_\w+) = ("[^"\\\n]*");$/gm)) {
    constants.set(name as string, literal as string);
  }
  return source.replace(/\[(_\w+)\]:/g, (key, name: string) => {
    const literal = constants.get(name);
    return literal ? `[${literal}]:` : key;
  });
}

/** Of an SDK client's package.json, the name and the version; its code reads only `version`. */
export function clientPackageInfo(packageJson: string): string {
  const { name, version } = JSON.parse(packageJson) as { name: string; version: string };
  return JSON.stringify({ name, version });
}

export const sdkTreeShaking: Plugin = {
  name: 'sdk-tree-shaking',
  setup(esbuild) {
    esbuild.onLoad({ filter: SDK_SCHEMA_MODULE }, async ({ path }) => ({
      contents: inlineSchemaKeys(await readFile(path, 'utf8')),
      loader: 'js',
    }));
    esbuild.onLoad({ filter: SDK_CLIENT_PACKAGE }, async ({ path }) => ({
      contents: clientPackageInfo(await readFile(path, 'utf8')),
      loader: 'json',
    }));
  },
};

export interface HandlerBundle {
  /** Size of the minified JavaScript (the source map next to it is not deployed code). */
  readonly bytes: number;
  /** Every source file in the bundle, relative to the project root. */
  readonly inputs: string[];
}

/** Bundles one handler (entry relative to projectRoot) to `outfile`, with its source map beside it. */
export async function bundleHandler(
  projectRoot: string,
  entry: string,
  outfile: string,
): Promise<HandlerBundle> {
  const result = await build({
    ...BUNDLE_OPTIONS,
    mainFields: [...BUNDLE_OPTIONS.mainFields],
    entryPoints: [join(projectRoot, entry)],
    absWorkingDir: resolve(projectRoot),
    outfile,
    bundle: true,
    sourcemap: true,
    sourcesContent: false,
    metafile: true,
    plugins: [sdkTreeShaking],
    logLevel: 'warning',
  });
  const { size } = await stat(outfile);
  return { bytes: size, inputs: Object.keys(result.metafile.inputs) };
}

// `tsx lib/constructs/bundling.ts <projectRoot> <entry> <outfile> [<entry> <outfile>]…`, run by
// PeeringFunction: several entries are built side by side in one process (one Node start, not one each).
if (require.main === module) {
  const [projectRoot, ...pairs] = process.argv.slice(2);
  if (!projectRoot || pairs.length === 0 || pairs.length % 2 !== 0)
    throw new Error('usage: bundling.ts <projectRoot> <entry> <outfile> [<entry> <outfile>]…');
  const builds = [];
  for (let i = 0; i < pairs.length; i += 2) {
    builds.push(bundleHandler(projectRoot, pairs[i] as string, pairs[i + 1] as string));
  }
  Promise.all(builds).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
