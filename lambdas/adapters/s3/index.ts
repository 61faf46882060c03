/**
 * The config bucket: desired-state documents (one object per gateway and generation), the control
 * plane's secrets and the copies delivered to instances. What an instance may read is decided by
 * an object tag naming its instance ARN (docs/SECURITY.md); the objects' keys are per gateway.
 */
import { createHash } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ConfigStore, InstanceTarget, PublishedState } from '../../app/ports';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { instanceArn } from '../../shared/instance-arn';
import { transientOn } from '../transient';
import { deleteUnderPrefix } from './delete-under-prefix';
import { documentGeneration, gatewayDocumentsPrefix, getStateDocument, stateDocumentKey } from './documents';

export { stateDocumentKey };

/** The tag whose value must equal the reading instance's `ec2:SourceInstanceARN`. */
export const INSTANCE_TAG = 'vpc-peering-instance';

/** The Tagging header granting `instanceId` read access. */
export const instanceTagging = (instanceId: string) =>
  `${INSTANCE_TAG}=${encodeURIComponent(instanceArn(instanceId))}`;

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export class S3ConfigStore implements ConfigStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(target: InstanceTarget, generation: number, document: string): Promise<PublishedState> {
    const key = stateDocumentKey(target.gatewayId, generation);
    await transientOn('S3', () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: document,
          ContentType: 'application/json',
          Tagging: instanceTagging(target.instanceId),
        }),
      ),
    );
    return { uri: `s3://${this.bucket}/${key}`, sha256: sha256Hex(document) };
  }

  get(gatewayId: string, generation: number): Promise<string | undefined> {
    return getStateDocument(this.bucket, gatewayId, generation);
  }

  deleteThrough(gatewayId: string, generation: number): Promise<void> {
    return deleteUnderPrefix(this.client, this.bucket, gatewayDocumentsPrefix(gatewayId), (key) => {
      const found = documentGeneration(gatewayId, key);
      return found !== undefined && found <= generation;
    });
  }
}

export const configStore = () =>
  resolve('configStore', () => new S3ConfigStore(new S3Client({}), env.configBucket()));
