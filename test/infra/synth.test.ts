/**
 * `cdk synth` for real, through the CLI and cdk.json, exactly as a deployment starts: bundling,
 * the ASL and script files, and cdk-nag's validation (any unacknowledged finding fails it).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { STACK_NAME } from '../../lib/app';
import { REPO_ROOT } from '../../lib/handlers';

const SYNTH_TIMEOUT_MS = 240_000;

test(
  'cdk synth exits 0 and writes the stack template',
  async () => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-synth-'));

    try {
      // Act
      const run = promisify(execFile)(
        'npx',
        ['cdk', 'synth', '--quiet', '-c', 'removalPolicy=destroy', '-o', outdir],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
          maxBuffer: 16 * 1024 * 1024,
        },
      );

      // Assess
      await expect(run).resolves.toBeDefined();
      expect(existsSync(join(outdir, `${STACK_NAME}.template.json`))).toBe(true);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  },
  SYNTH_TIMEOUT_MS,
);
