/** Ends what global-setup.ts started. A folder that cannot be removed is named, not hidden. */
import { rmSync } from 'node:fs';
import { shared, TEMP_ROOT } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  await shared.vpgSharedDynamoDb?.stop();
  const root = process.env[TEMP_ROOT];
  if (!root) return;
  try {
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    process.stderr.write(`\nCould not remove the test run's temporary folder ${root}: ${String(error)}\n`);
  }
}
