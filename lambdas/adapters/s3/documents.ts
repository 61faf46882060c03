/**
 * Where desired-state documents live in the config bucket, and reading them back without the S3
 * client: the api Lambda shows the applied generation's peers on the status route
 * (docs/DECISIONS.md, "Status shows the applied peers").
 */
import type { ConfigStore } from '../../app/ports';
import { provided } from '../../shared/deps';
import { env } from '../../shared/env';
import { signedObjects } from '../signed-s3/http-objects';

/** Ends with a slash: `gateways/gw-a/` never lists `gateways/gw-ab/`. */
export const gatewayDocumentsPrefix = (gatewayId: string) => `gateways/${gatewayId}/`;

export const stateDocumentKey = (gatewayId: string, generation: number) =>
  `${gatewayDocumentsPrefix(gatewayId)}${String(generation).padStart(12, '0')}.json`;

/**
 * How many of a gateway's lowest documents one prune looks at (ConfigStore.pruneBelow): one
 * ListObjectsV2 page and one DeleteObjects request.
 */
export const DOCUMENT_PRUNE_BATCH = 1_000;

/**
 * The pruning rule every ConfigStore applies (ConfigStore.pruneBelow): a document goes when its
 * generation is below the applied one and it was last written before `writtenBefore`.
 */
export const dueForPrune = (
  document: { generation: number; writtenAt: Date },
  below: number,
  writtenBefore: Date,
): boolean => document.generation < below && document.writtenAt < writtenBefore;

/** The generation of document key `key` of the gateway; undefined for any other key. */
export function documentGeneration(gatewayId: string, key: string): number | undefined {
  const name = key.startsWith(gatewayDocumentsPrefix(gatewayId))
    ? key.slice(gatewayDocumentsPrefix(gatewayId).length)
    : '';
  const digits = /^(\d{12})\.json$/.exec(name)?.[1];
  return digits === undefined ? undefined : Number(digits);
}

/** The config bucket's objects over signed requests (the function's region and credentials). */
export const configObjects = () => signedObjects(env.configBucket());

/** The config store's read side: the provided store (embedded runtime, tests), else S3. */
export const configDocuments = (): Pick<ConfigStore, 'get'> =>
  provided('configStore') ?? {
    get: (gatewayId, generation) => configObjects().get(stateDocumentKey(gatewayId, generation)),
  };
