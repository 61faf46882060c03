/**
 * Secrets as S3 objects encrypted with the secrets KMS key (SSE-KMS, no bucket key, so each object
 * has its own data key and its ARN as encryption context). One object per secret: no count
 * ceiling, unlike Parameter Store (docs/DECISIONS.md, "Tenant isolation at the gateway instance").
 *
 * - the control plane's copy: `secrets<name>`, untagged, so no instance can read it;
 * - an instance's copy: `gateways/<gatewayId>/secrets<name>`, a server-side copy tagged with the
 *   instance's ARN, readable by that instance only (lib/constructs/gateway-instance-policy.ts),
 *   made by ./secrets.ts.
 * The bucket is not versioned: a deleted secret is gone, not kept as a noncurrent version.
 *
 * The store speaks signed HTTP (adapters/signed-s3/http-objects.ts), not the S3 client: the api Lambda holds it, and
 * its bundle must stay under 500 KB (docs/DECISIONS.md, "Lambda bundles").
 */
import type { SecretStore } from '../../app/ports';
import { DEFAULT_SECRET_PREFIX, secretNamesUnder } from '../../app/secret-names';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { type S3HttpObjects, S3ResponseError, signedObjects } from '../signed-s3/http-objects';
import { deleteUnderPrefix } from './delete-under-prefix';

const SECRET_NAME = /^(\/[A-Za-z0-9_.-]+){1,15}$/;

export const controlPlaneSecretKey = (name: string) => `secrets${checkedName(name)}`;
/** Every copy delivered for a gateway is under this prefix. */
export const deliveredSecretsPrefix = (gatewayId: string) => `gateways/${gatewayId}/secrets/`;
export const deliveredSecretKey = (gatewayId: string, name: string) =>
  `gateways/${gatewayId}/secrets${checkedName(name)}`;

/** The objects of the secrets named under `folder` (SecretStore.deleteUnder). */
export const controlPlaneFolderKey = (folder: string) => {
  if (!folder.endsWith('/')) throw new Error(`Invalid secret folder ${JSON.stringify(folder)}`);
  return `${controlPlaneSecretKey(folder.slice(0, -1))}/`;
};

function checkedName(name: string): string {
  if (!SECRET_NAME.test(name)) throw new Error(`Invalid secret name ${JSON.stringify(name)}`);
  return name;
}

/** How every secret object is encrypted, in the S3 client's parameter names. */
export const secretEncryption = (kmsKeyId: string | undefined) => ({
  ServerSideEncryption: 'aws:kms' as const,
  SSEKMSKeyId: kmsKeyId,
  BucketKeyEnabled: false,
});

/** The same encryption as PutObject's request headers. */
function encryptionHeaders(kmsKeyId: string | undefined): Record<string, string> {
  const { ServerSideEncryption, SSEKMSKeyId, BucketKeyEnabled } = secretEncryption(kmsKeyId);
  return {
    'x-amz-server-side-encryption': ServerSideEncryption,
    ...(SSEKMSKeyId === undefined ? {} : { 'x-amz-server-side-encryption-aws-kms-key-id': SSEKMSKeyId }),
    'x-amz-server-side-encryption-bucket-key-enabled': String(BucketKeyEnabled),
  };
}

export class S3SecretStore implements SecretStore {
  readonly names;

  constructor(
    private readonly objects: S3HttpObjects,
    private readonly kmsKeyId: string | undefined,
    prefix = DEFAULT_SECRET_PREFIX,
  ) {
    this.names = secretNamesUnder(prefix);
  }

  async putIfAbsent(name: string, value: string): Promise<void> {
    try {
      await this.objects.put(controlPlaneSecretKey(name), value, {
        'if-none-match': '*',
        ...encryptionHeaders(this.kmsKeyId),
      });
    } catch (error) {
      // 412: the first writer won; 409: a concurrent conditional write is in flight (S3's rule).
      const status = error instanceof S3ResponseError ? error.status : undefined;
      if (status !== 412 && status !== 409) throw error;
    }
  }

  async get(name: string): Promise<string | undefined> {
    return this.objects.get(controlPlaneSecretKey(name));
  }

  async delete(name: string): Promise<void> {
    return this.objects.delete(controlPlaneSecretKey(name));
  }

  async deleteUnder(folder: string): Promise<void> {
    return deleteUnderPrefix(this.objects, controlPlaneFolderKey(folder));
  }
}

export const secretStore = () =>
  resolve(
    'secrets',
    () => new S3SecretStore(signedObjects(env.secretsBucket()), env.secretsKmsKeyId(), env.secretPrefix()),
  );
