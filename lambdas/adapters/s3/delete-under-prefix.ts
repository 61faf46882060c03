/**
 * Deleting what was published for a deleted gateway: every object under a prefix (its documents,
 * the secret copies delivered to its instance), optionally only the keys `select` accepts. One
 * listing page (1,000 keys) at a time, then one DeleteObjects for the page, both signed requests:
 * the bundles that delete hold no S3 client (docs/DECISIONS.md, "Lambda bundles").
 */
import type { S3HttpObjects } from '../signed-s3/http-objects';

export async function deleteUnderPrefix(
  objects: S3HttpObjects,
  prefix: string,
  select: (key: string) => boolean = () => true,
): Promise<void> {
  let token: string | undefined;
  do {
    const page = await objects.list(prefix, token);
    await objects.deleteMany(page.keys.filter(select));
    token = page.nextToken;
  } while (token);
}
