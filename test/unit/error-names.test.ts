/**
 * Error names are compared as their stable literals (docs/DECISIONS.md, "Stable error names survive
 * minification"): the deployed bundles are minified (lib/constructs/bundling.ts), which renames
 * classes, so `SomeError.name` (the class's own name) is a short identifier on AWS while the
 * thrown error's `name` field, and the ASL's ErrorEquals, keep the stable one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../../lib/handlers';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** `TransientError.name`, `ItemTooLargeError.name`: a class's name read at run time. */
const CLASS_NAME_READ = /\b[A-Z]\w*Error\.name\b/g;

test('no bundled code reads an error class name at run time', () => {
  // Act
  const reads = sourceFiles(join(REPO_ROOT, 'lambdas')).flatMap((path) =>
    [...readFileSync(path, 'utf8').matchAll(CLASS_NAME_READ)].map(
      (match) => `${relative(REPO_ROOT, path)}: ${match[0]}`,
    ),
  );

  // Assess: compare with the literal, or use instanceof
  expect(reads).toEqual([]);
});
