/**
 * The secret copies delivered to gateway instances (bucket layout: ./secret-store.ts). Copies need
 * the S3 client (CopyObject can fail inside a 200 answer); only push-config, which delivers, holds
 * it. Withdrawal is signed requests (./secret-copies-withdrawal.ts).
 */
import { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { InstanceSecrets, InstanceTarget } from '../../app/ports';
import { SecretMissingError } from '../../core/errors';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { boundedClientConfig } from '../sdk-client';
import { type S3HttpObjects, signedObjects } from '../signed-s3/http-objects';
import { transientOn } from '../transient';
import { instanceTagging } from '.';
import { withdrawCopies } from './secret-copies-withdrawal';
import { controlPlaneSecretKey, deliveredSecretKey, secretEncryption } from './secret-store';

/**
 * Server-side copies (S3 decrypts and re-encrypts; the Lambda never holds the value), one request
 * per secret the push names: the gateway's own key and the preshared keys of its peerings, never
 * road-warrior keys. The push names only those its instance may not hold yet (app/push.ts
 * `namesToCopy`), and every one whenever the instance or the incarnation of the gateway (a reused
 * id, so reused names) is not the one that applied the last document: a copy is then replaced,
 * never trusted, so a reused name never serves a stale copy.
 */
export class S3InstanceSecrets implements InstanceSecrets {
  constructor(
    private readonly client: S3Client,
    /** The secrets bucket's objects: the bucket copied within, and the withdrawal's requests. */
    private readonly objects: S3HttpObjects,
    private readonly kmsKeyId: string | undefined,
  ) {}

  async deliver(target: InstanceTarget, names: readonly string[]): Promise<void> {
    await Promise.all(
      names.map((name) =>
        transientOn('S3', () =>
          this.client.send(
            new CopyObjectCommand({
              Bucket: this.objects.bucket,
              Key: deliveredSecretKey(target.gatewayId, name),
              CopySource: `${this.objects.bucket}/${controlPlaneSecretKey(name)}`,
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
    return withdrawCopies(this.objects, target);
  }
}

export const instanceSecrets = () =>
  resolve(
    'instanceSecrets',
    () =>
      new S3InstanceSecrets(
        new S3Client(boundedClientConfig('S3')),
        signedObjects(env.secretsBucket()),
        env.secretsKmsKeyId(),
      ),
  );
