/**
 * Reading desired-state documents back without the S3 client: the api Lambda shows the applied
 * generation's peers on the status route (docs/DECISIONS.md, "Status shows the applied peers").
 */
import type { ConfigStore } from '../../app/ports';
import { provided } from '../../shared/deps';
import { env } from '../../shared/env';
import { signGetObject } from './signed-get';

/** Ends with a slash: `gateways/gw-a/` never lists `gateways/gw-ab/`. */
export const gatewayDocumentsPrefix = (gatewayId: string) => `gateways/${gatewayId}/`;

export const stateDocumentKey = (gatewayId: string, generation: number) =>
  `${gatewayDocumentsPrefix(gatewayId)}${String(generation).padStart(12, '0')}.json`;

/** The generation of document key `key` of the gateway; undefined for any other key. */
export function documentGeneration(gatewayId: string, key: string): number | undefined {
  const name = key.startsWith(gatewayDocumentsPrefix(gatewayId))
    ? key.slice(gatewayDocumentsPrefix(gatewayId).length)
    : '';
  const digits = /^(\d{12})\.json$/.exec(name)?.[1];
  return digits === undefined ? undefined : Number(digits);
}

/** The document of `generation`, or undefined when S3 has none (404). */
export async function getStateDocument(
  bucket: string,
  gatewayId: string,
  generation: number,
): Promise<string | undefined> {
  const request = signGetObject(
    bucket,
    stateDocumentKey(gatewayId, generation),
    env.awsRegion(),
    env.awsCredentials(),
    new Date(),
  );
  const response = await fetch(request.url, { headers: request.headers });
  if (response.status === 404) return undefined;
  if (!response.ok)
    throw new Error(`S3 GetObject of ${gatewayId} generation ${generation}: HTTP ${response.status}`);
  return response.text();
}

/** The config store's read side: the provided store (embedded runtime, tests), else S3. */
export const configDocuments = (): Pick<ConfigStore, 'get'> =>
  provided('configStore') ?? {
    get: (gatewayId, generation) => getStateDocument(env.configBucket(), gatewayId, generation),
  };
