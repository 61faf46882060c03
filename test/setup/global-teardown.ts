/** Ends what global-setup.ts started. */
import { removeTempRoot, shared } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  await shared.vpgSharedDynamoDb?.stop();
  removeTempRoot();
}
