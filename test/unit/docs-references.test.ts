/**
 * The docs point at code that exists: every repository path they quote in backticks is a file or
 * folder of the project, and every function docs/ARCHITECTURE.md "Find a behaviour" names after a
 * file is defined in that file. A rename that forgets the docs fails here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '../..');
const DOCS = [
  'README.md',
  'gateway/README.md',
  'bench/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
/** Top-level folders of the repository, and the layers of lambdas/ the docs name without it. */
const TOP = [
  'bin',
  'lib',
  'lambdas',
  'runtime',
  'gateway',
  'statemachine',
  'tooling',
  'test',
  'bench',
  'console',
  'docs',
];
const LAYERS = ['core', 'app', 'adapters', 'http', 'shared', 'handlers', 'openapi'];
/** Folders .gitignore names (build output: console/dist/, test-output/, …): a fresh clone has none. */
const GENERATED = readFileSync(join(ROOT, '.gitignore'), 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line.endsWith('/') && !/[*!]/.test(line));
/** `a/b.ts`, `a/b/`: a quoted path of at least two segments, no placeholder or wildcard. */
const QUOTED_PATH = /`((?:[\w.-]+\/)+[\w.-]*)`/g;

/**
 * Quoted paths of `text` (a doc in folder `base`) that name something of the repository, each
 * with where it may be: from the root, from the doc's folder, under lambdas/ for a layer, and as a
 * module named without its `.ts`.
 */
function repositoryPaths(text: string, base = ''): { quoted: string; candidates: string[] }[] {
  return [...text.matchAll(QUOTED_PATH)]
    .map((match) => match[1] ?? '')
    .flatMap((quoted) => {
      if (GENERATED.some((folder) => quoted.startsWith(folder))) return [];
      const first = quoted.split('/')[0] ?? '';
      const places = [
        ...(TOP.includes(first) ? [quoted] : []),
        ...(base && existsSync(join(ROOT, base, first)) ? [`${base}/${quoted}`] : []),
        ...(LAYERS.includes(first) ? [`lambdas/${quoted}`] : []),
      ];
      return places.length ? [{ quoted, candidates: places.flatMap((place) => [place, `${place}.ts`]) }] : [];
    });
}

/** `file` `name`, `name` pairs of a Markdown table cell: each name must be defined in the file. */
function namedDefinitions(text: string): { file: string; name: string }[] {
  return [...text.matchAll(/`((?:[\w.-]+\/)+[\w.-]+\.(?:ts|sh))`((?:,?\s*`[\w-]+`)+)/g)].flatMap((match) =>
    [...(match[2] ?? '').matchAll(/`([\w-]+)`/g)].map((name) => ({
      file: match[1] ?? '',
      name: name[1] ?? '',
    })),
  );
}

const resolveFile = (path: string) =>
  [path, `lambdas/${path}`]
    .map((candidate) => join(ROOT, candidate))
    .find((candidate) => existsSync(candidate));

describe('docs references', () => {
  it('recognises quoted repository paths and the names that follow a file', () => {
    // Prepare
    const text =
      '| q | `app/push.ts` `checkPush` | `gateway/lib/apply-full.sh` `nft_script`, `load_ruleset`; `DATA_DIR/run.json`, `npm test`, `test/support/`, `console/dist/index.html` |';
    // Act
    const paths = repositoryPaths(text).map((path) => path.candidates[0]);
    const fromGateway = repositoryPaths('`lib/checks.sh`', 'gateway').map((path) => path.candidates);
    const names = namedDefinitions(text);
    // Assess
    expect(paths).toEqual(['lambdas/app/push.ts', 'gateway/lib/apply-full.sh', 'test/support/']);
    expect(fromGateway).toEqual([
      ['lib/checks.sh', 'lib/checks.sh.ts', 'gateway/lib/checks.sh', 'gateway/lib/checks.sh.ts'],
    ]);
    expect(names).toEqual([
      { file: 'app/push.ts', name: 'checkPush' },
      { file: 'gateway/lib/apply-full.sh', name: 'nft_script' },
      { file: 'gateway/lib/apply-full.sh', name: 'load_ruleset' },
    ]);
  });

  it.each(DOCS)('every repository path quoted in %s exists', (doc) => {
    // Prepare
    const text = readFileSync(join(ROOT, doc), 'utf8');
    // Act
    const missing = repositoryPaths(text, dirname(doc) === '.' ? '' : dirname(doc))
      .filter(({ candidates }) => !candidates.some((candidate) => existsSync(join(ROOT, candidate))))
      .map(({ quoted }) => quoted);
    // Assess
    expect(missing).toEqual([]);
  });

  it('every function "Find a behaviour" names is defined in the file it names', () => {
    // Prepare
    const architecture = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
    const index = architecture.split('## Find a behaviour')[1]?.split('\n## ')[0] ?? '';
    // Act
    const pairs = namedDefinitions(index);
    const undefinedNames = pairs
      .filter(({ file, name }) => {
        const path = resolveFile(file);
        return !path || !new RegExp(`\\b${name}\\b`).test(readFileSync(path, 'utf8'));
      })
      .map(({ file, name }) => `${file}: ${name}`);
    // Assess
    expect(pairs.length).toBeGreaterThan(5);
    expect(undefinedNames).toEqual([]);
  });
});
