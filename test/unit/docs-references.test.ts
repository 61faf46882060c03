/**
 * The docs point at code that exists: every repository path they quote in backticks is a file or
 * folder of the project, and every function docs/ARCHITECTURE.md "Find a behaviour" names after a
 * file is defined in that file. The code points at docs that exist: every `docs/X.md "Title"` or
 * `docs/X.md#anchor` a source comment cites names a heading, a bold title or an anchor of X. A
 * rename on either side that forgets the other fails here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

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

/** The folders whose comments cite the docs, and the kinds of file that carry comments. */
const CITING_FOLDERS = [
  'lambdas',
  'runtime',
  'lib',
  'gateway',
  'statemachine',
  'console/src',
  'test',
  'bench',
];
const CITING_FILE = /\.(ts|tsx|js|mjs|cjs|sh|jq|awk|java)$/;
const CITED_DOCS = ['DECISIONS', 'CONTRACT', 'SECURITY', 'ARCHITECTURE'];
/** `docs/X.md#anchor`, `docs/X.md "Title"`, `docs/X.md, "Title"`, `docs/X.md: "Title"`. */
const CITATION = new RegExp(
  `docs/(${CITED_DOCS.join('|')})\\.md(?:#([\\w-]+)|[,:]?\\s*["“]([^"”]{2,100})["”])`,
  'g',
);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.name === 'node_modules' || entry.name === 'results') return [];
    return entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)];
  });
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const slug = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');

/** What a citation of `doc` may name: its headings, bold titles (`**Title`), and `<a id>` anchors. */
function citable(text: string): { titles: string[]; anchors: string[] } {
  const headings = text
    .split('\n')
    .filter((line) => line.startsWith('#'))
    .map((line) => line.replace(/^#+\s*/, '').trim());
  const bold = [...text.matchAll(/\*\*([^*\n]+)/g)].map((match) => match[1] ?? '');
  const named = [...text.matchAll(/<a id="([\w-]+)"><\/a>(?:"([^"]+)")?/g)];
  return {
    titles: [...headings, ...bold, ...named.flatMap((match) => (match[2] ? [match[2]] : []))],
    anchors: [...headings.map(slug), ...named.map((match) => match[1] ?? '')],
  };
}

/** A cited title names a heading or bold title that is it, or begins with it ("Hardening (…)"). */
const namesTitle = (titles: string[], title: string) =>
  titles.some(
    (candidate) =>
      candidate === title || (candidate.startsWith(title) && /^[\s(.,:]/.test(candidate.slice(title.length))),
  );

/**
 * The citations in `source`, read as its comments read: comment markers dropped and lines joined,
 * so a title wrapped over two comment lines is one title.
 */
function citations(source: string): { doc: string; anchor?: string; title?: string }[] {
  const prose = source
    .split('\n')
    .map((line) => line.trim().replace(/^(\/\*\*|\/\*|\*\/|\*|\/\/|#)\s?/, ''))
    .join(' ');
  return [...prose.matchAll(CITATION)].map((match) => ({
    doc: match[1] ?? '',
    ...(match[2] ? { anchor: match[2] } : {}),
    ...(match[3] ? { title: match[3].replace(/\s+/g, ' ').trim() } : {}),
  }));
}

/** The citations of `source` that name nothing in their doc (`docs` maps a doc to its text). */
function deadCitations(source: string, docs: Record<string, string>): string[] {
  return citations(source)
    .filter(({ doc, anchor, title }) => {
      const { titles, anchors } = citable(docs[doc] ?? '');
      return anchor ? !anchors.includes(anchor) : !namesTitle(titles, title ?? '');
    })
    .map(({ doc, anchor, title }) => `docs/${doc}.md ${anchor ? `#${anchor}` : `"${title}"`}`);
}

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
  it('recognises a citation in a comment and whether its doc has it', () => {
    // Prepare
    // (the cited names are built, so that this file cites nothing itself)
    const doc = 'docs/DECISIONS.md';
    const contract = 'docs/CONTRACT.md';
    const docs = {
      DECISIONS: [
        '## Lists, page tokens and the busy hub (issue 14)',
        '- **Tokens are sealed, not signed.** AES-256-GCM …',
        '- **Busy hub: route locks.** …',
      ].join('\n'),
      CONTRACT: '## Invariants\n| x | <a id="a-creates-location"></a>"A create\'s Location": … |',
    };
    const source = [
      `/** Page tokens (${doc} "Tokens are sealed, not signed"), and (${doc} "Pagination"). */`,
      `// a block keeps its version (${doc} "Busy hub: route`,
      `// locks"), then a wrapped title that names nothing (${doc} "Busy hub: route`,
      '// blocks").',
      `# (${doc}, "Lists, page tokens and the busy hub"), ${doc}#lists-page-tokens-and-the-busy-hub-issue-14`,
      ` * ${contract}#invariants 3, ${contract}#a-creates-location, ${contract}#errors`,
      ` * (${contract}, "A create's Location"), ${doc}: "Workflows"`,
    ].join('\n');
    // Act
    const dead = deadCitations(source, docs);
    // Assess
    expect(citations(source)).toHaveLength(11);
    expect(dead).toEqual([
      `${doc} "Pagination"`,
      `${doc} "Busy hub: route blocks"`,
      `${contract} #errors`,
      `${doc} "Workflows"`,
    ]);
  });

  it('every docs citation in a comment under the source folders names a heading, bold title or anchor', () => {
    // Prepare
    const docs = Object.fromEntries(
      CITED_DOCS.map((doc) => [doc, readFileSync(join(ROOT, `docs/${doc}.md`), 'utf8')]),
    );
    const files = CITING_FOLDERS.flatMap((folder) => filesUnder(join(ROOT, folder))).filter((file) =>
      CITING_FILE.test(file),
    );
    // Act
    const cited = files.flatMap((file) => citations(readFileSync(file, 'utf8')));
    const dead = files.flatMap((file) =>
      deadCitations(readFileSync(file, 'utf8'), docs).map((what) => `${relative(ROOT, file)}: ${what}`),
    );
    // Assess
    expect(cited.length).toBeGreaterThan(200);
    expect(dead).toEqual([]);
  });
});
