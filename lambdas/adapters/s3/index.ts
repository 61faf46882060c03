/** Desired-state documents in S3, one object per gateway and generation. */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ConfigStore } from '../../app/ports';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { transientOn } from '../transient';
import { getStateDocument, stateDocumentKey } from './documents';

export { stateDocumentKey };

export class S3ConfigStore implements ConfigStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(gatewayId: string, generation: number, document: string): Promise<string> {
    const key = stateDocumentKey(gatewayId, generation);
    await transientOn('S3', () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: document,
          ContentType: 'application/json',
        }),
      ),
    );
    return `s3://${this.bucket}/${key}`;
  }

  get(gatewayId: string, generation: number): Promise<string | undefined> {
    return getStateDocument(this.bucket, gatewayId, generation);
  }
}

export const configStore = () =>
  resolve('configStore', () => new S3ConfigStore(new S3Client({}), env.configBucket()));
