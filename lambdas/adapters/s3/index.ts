/**
 * The config bucket: desired-state documents (one object per gateway and generation), the control
 * plane's secrets and the copies delivered to instances. What an instance may read is decided by
 * an object tag naming its instance ARN (docs/SECURITY.md); the objects' keys are per gateway.
 */
import { createHash } from 'node:crypto';
import type { ConfigStore, InstanceTarget, PublishedState } from '../../app/ports';
import { resolve } from '../../shared/deps';
import { instanceArn } from '../../shared/instance-arn';
import type { S3HttpObjects } from '../signed-s3/http-objects';
import { deleteUnderPrefix } from './delete-under-prefix';
import {
  configObjects,
  DOCUMENT_PRUNE_BATCH,
  documentGeneration,
  dueForPrune,
  gatewayDocumentsPrefix,
  stateDocumentKey,
} from './documents';

export { stateDocumentKey };

/** The tag whose value must equal the reading instance's `ec2:SourceInstanceARN`. */
export const INSTANCE_TAG = 'vpc-peering-instance';

/** The Tagging header granting `instanceId` read access. */
export const instanceTagging = (instanceId: string) =>
  `${INSTANCE_TAG}=${encodeURIComponent(instanceArn(instanceId))}`;

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Documents are written, read and deleted with signed requests (adapters/signed-s3), without the
 * S3 client (docs/DECISIONS.md, "Lambda bundles").
 */
export class S3ConfigStore implements ConfigStore {
  constructor(private readonly objects: S3HttpObjects) {}

  async put(target: InstanceTarget, generation: number, document: string): Promise<PublishedState> {
    const key = stateDocumentKey(target.gatewayId, generation);
    await this.objects.put(key, document, {
      'content-type': 'application/json',
      'x-amz-tagging': instanceTagging(target.instanceId),
    });
    return { uri: `s3://${this.objects.bucket}/${key}`, sha256: sha256Hex(document) };
  }

  get(gatewayId: string, generation: number): Promise<string | undefined> {
    return this.objects.get(stateDocumentKey(gatewayId, generation));
  }

  deleteThrough(gatewayId: string, generation: number): Promise<void> {
    return deleteUnderPrefix(this.objects, gatewayDocumentsPrefix(gatewayId), (key) => {
      const found = documentGeneration(gatewayId, key);
      return found !== undefined && found <= generation;
    });
  }

  /**
   * One listing page from the start of the gateway's prefix: keys sort by generation (12 digits),
   * and everything a previous prune deleted is gone from the listing, so the page starts at the
   * lowest document still there. Then one DeleteObjects for those due, none when none is.
   */
  async pruneBelow(
    gatewayId: string,
    below: number,
    writtenBefore: Date,
    signal?: AbortSignal,
  ): Promise<number> {
    const page = await this.objects.listFirst(gatewayDocumentsPrefix(gatewayId), DOCUMENT_PRUNE_BATCH);
    const due = page
      .filter(({ key, lastModified }) => {
        const generation = documentGeneration(gatewayId, key);
        return (
          generation !== undefined &&
          dueForPrune({ generation, writtenAt: lastModified }, below, writtenBefore)
        );
      })
      .map(({ key }) => key);
    if (due.length === 0 || signal?.aborted) return 0;
    await this.objects.deleteMany(due);
    return due.length;
  }
}

export const configStore = () => resolve('configStore', () => new S3ConfigStore(configObjects()));
