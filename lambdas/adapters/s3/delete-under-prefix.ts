/**
 * Deleting what was published for a deleted gateway: every object under a prefix (its documents,
 * the secret copies delivered to its instance), optionally only the keys `select` accepts. One
 * ListObjectsV2 page (1,000 keys) at a time, then one DeleteObjects for the page.
 */
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { transientOn } from '../transient';

export async function deleteUnderPrefix(
  client: S3Client,
  bucket: string,
  prefix: string,
  select: (key: string) => boolean = () => true,
): Promise<void> {
  let token: string | undefined;
  do {
    const page = await transientOn('S3', () =>
      client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
    );
    const keys = (page.Contents ?? []).flatMap((object) =>
      object.Key !== undefined && select(object.Key) ? [{ Key: object.Key }] : [],
    );
    if (keys.length > 0) {
      const result = await transientOn('S3', () =>
        client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } })),
      );
      const failed = result.Errors?.[0];
      if (failed) throw new Error(`S3 DeleteObjects of ${failed.Key}: ${failed.Code}`);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
