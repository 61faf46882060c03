/**
 * The secret copies delivered to gateway instances (bucket layout: ./secret-store.ts). Copies and
 * deletes under a prefix need the S3 client; the handlers that deliver or withdraw copies hold it,
 * the api Lambda does not.
 */
import { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { InstanceSecrets, InstanceTarget } from '../../app/ports';
import { SecretMissingError } from '../../core/errors';
import { provided, resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { boundedClientConfig } from '../sdk-client';
import { transientOn } from '../transient';
import { instanceTagging } from '.';
import { deleteUnderPrefix } from './delete-under-prefix';
import {
  controlPlaneSecretKey,
  deliveredSecretKey,
  deliveredSecretsPrefix,
  secretEncryption,
} from './secret-store';

/**
 * Server-side copies (S3 decrypts and re-encrypts; the Lambda never holds the value), one request
 * per secret per push: the gateway's own key and one preshared key per peering, never road-warrior
 * keys. Copying every time keeps a reused name (a gateway registered again) from serving a stale copy.
 */
export class S3InstanceSecrets implements InstanceSecrets {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly kmsKeyId: string | undefined,
  ) {}

  async deliver(target: InstanceTarget, names: readonly string[]): Promise<void> {
    await Promise.all(
      names.map((name) =>
        transientOn('S3', () =>
          this.client.send(
            new CopyObjectCommand({
              Bucket: this.bucket,
              Key: deliveredSecretKey(target.gatewayId, name),
              CopySource: `${this.bucket}/${controlPlaneSecretKey(name)}`,
              Tagging: instanceTagging(target.instanceId),
              TaggingDirective: 'REPLACE',
              ...secretEncryption(this.kmsKeyId),
            }),
          ),
        ).catch((error: unknown) => {
          // A missing copy source is S3's 404 NoSuchKey.
          throw error instanceof Error && error.name === 'NoSuchKey' ? new SecretMissingError(name) : error;
        }),
      ),
    );
  }

  withdraw(target: InstanceTarget): Promise<void> {
    return withdrawCopies(this.client, this.bucket, target);
  }
}

/** Deletes every copy delivered for the target's gateway. */
const withdrawCopies = (client: S3Client, bucket: string, target: InstanceTarget) =>
  deleteUnderPrefix(client, bucket, deliveredSecretsPrefix(target.gatewayId));

let sharedClient: S3Client | undefined;
const s3Client = () => {
  sharedClient ??= new S3Client(boundedClientConfig('S3'));
  return sharedClient;
};

export const instanceSecrets = () =>
  resolve(
    'instanceSecrets',
    () => new S3InstanceSecrets(s3Client(), env.secretsBucket(), env.secretsKmsKeyId()),
  );

/**
 * Withdrawal alone, for the cascade: a bundle that never delivers holds no CopyObject
 * (docs/DECISIONS.md, "Lambda bundles"). The provided adapter (embedded runtime, tests) serves too.
 */
export const secretCopiesWithdrawal = (): Pick<InstanceSecrets, 'withdraw'> =>
  provided('instanceSecrets') ?? {
    withdraw: (target) => withdrawCopies(s3Client(), env.secretsBucket(), target),
  };
