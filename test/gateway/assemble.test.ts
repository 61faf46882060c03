/** gateway/assemble.ts: the parts become one script, byte for byte what bash would have read. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleGatewayScript } from '../../gateway/assemble';
import { tempDir } from './fixtures';

/** A source folder holding `files` (path relative to it → text). */
function sourceDir(files: Record<string, string>): string {
  const dir = tempDir('assemble');
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const runBash = (script: string) => spawnSync('bash', ['-c', script], { encoding: 'utf8' });

describe('assembleGatewayScript', () => {
  test('inlines sourced parts and programs, quoting a program as $(<file) would read it', () => {
    // Prepare
    const dir = sourceDir({
      'apply-config.sh':
        '#!/usr/bin/env bash\n# shellcheck source-path=SCRIPTDIR\n# shellcheck source=lib/part.sh\n. "$GATEWAY_SRC/lib/part.sh"\nshow\n',
      'lib/part.sh':
        '# shellcheck shell=bash\nPROGRAM=$(<"$GATEWAY_SRC/awk/it.awk")\nshow() { printf "[%s]" "$PROGRAM"; }\n',
      'awk/it.awk': 'BEGIN { print "it\'s" }\n\n\n',
    });

    // Act
    const script = assembleGatewayScript(dir);

    // Assess
    expect(script).toBe(
      '#!/usr/bin/env bash\nPROGRAM=\'BEGIN { print "it\'\\\'\'s" }\'\nshow() { printf "[%s]" "$PROGRAM"; }\nshow\n',
    );
    expect(runBash(script).stdout).toBe('[BEGIN { print "it\'s" }]');
  });

  test('refuses a reference to the parts it cannot inline', () => {
    // Prepare
    const dir = sourceDir({ 'apply-config.sh': 'source "$GATEWAY_SRC/lib/part.sh"\n' });

    // Act, Assess
    expect(() => assembleGatewayScript(dir)).toThrow(
      'gateway script part not inlined: source "$GATEWAY_SRC/lib/part.sh"',
    );
  });

  test('the gateway script assembles into one file bash parses, naming no part', () => {
    // Act
    const script = assembleGatewayScript();
    const parsed = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });

    // Assess
    expect(parsed.status).toBe(0);
    expect(
      script.split('\n').filter((line) => line.includes('GATEWAY_SRC') && !line.startsWith('#')),
    ).toEqual([]);
  });
});
