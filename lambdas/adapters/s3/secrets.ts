/**
 * Secrets as S3 objects encrypted with the secrets KMS key (SSE-KMS, no bucket key, so each object
 * has its own data key and its ARN as encryption context). One object per secret: no count
 * ceiling, unlike Parameter Store (docs/DECISIONS.md "Secrets without an account ceiling").
 *
 * - the control plane's copy: `secrets<name>`, untagged, so no instance can read it;
 * - an instance's copy: `gateways/<gatewayId>/secrets<name>`, a server-side copy tagged with the
 *   instance's ARN, readable by that instance only (lib/constructs/gateway-instance-policy.ts).
 * The bucket is not versioned: a deleted secret is gone, not kept as a noncurrent version.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { InstanceSecrets, InstanceTarget, SecretStore } from '../../app/ports';
import { DEFAULT_SECRET_PREFIX, secretNamesUnder } from '../../app/secret-names';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { transientOn } from '../transient';
import { instanceTagging } from '.';

const SECRET_NAME = /^(\/[A-Za-z0-9_.-]+){1,15}$/;

export const controlPlaneSecretKey = (name: string) => `secrets${checkedName(name)}`;
export const deliveredSecretKey = (gatewayId: string, name: string) =>
  `gateways/${gatewayId}/secrets${checkedName(name)}`;

function checkedName(name: string): string {
  if (!SECRET_NAME.test(name)) throw new Error(`Invalid secret name ${JSON.stringify(name)}`);
  return name;
}

const encryption = (kmsKeyId: string | undefined) => ({
  ServerSideEncryption: 'aws:kms' as const,
  SSEKMSKeyId: kmsKeyId,
  BucketKeyEnabled: false,
});

export class S3SecretStore implements SecretStore {
  readonly names;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly kmsKeyId: string | undefined,
    prefix = DEFAULT_SECRET_PREFIX,
  ) {
    this.names = secretNamesUnder(prefix);
  }

  async putIfAbsent(name: string, value: string): Promise<void> {
    try {
      await transientOn('S3', () =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: controlPlaneSecretKey(name),
            Body: value,
            IfNoneMatch: '*',
            ...encryption(this.kmsKeyId),
          }),
        ),
      );
    } catch (error) {
      // 412: the first writer won; 409: a concurrent conditional write is in flight (S3's rule).
      const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
      if (status !== 412 && status !== 409) throw error;
    }
  }

  async get(name: string): Promise<string | undefined> {
    try {
      const object = await transientOn('S3', () =>
        this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: controlPlaneSecretKey(name) })),
      );
      return await object.Body?.transformToString();
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  async delete(name: string): Promise<void> {
    await transientOn('S3', () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: controlPlaneSecretKey(name) })),
    );
  }
}

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
              ...encryption(this.kmsKeyId),
            }),
          ),
        ),
      ),
    );
  }
}

const client = () => new S3Client({});

export const secretStore = () =>
  resolve(
    'secrets',
    () => new S3SecretStore(client(), env.secretsBucket(), env.secretsKmsKeyId(), env.secretPrefix()),
  );

export const instanceSecrets = () =>
  resolve(
    'instanceSecrets',
    () => new S3InstanceSecrets(client(), env.secretsBucket(), env.secretsKmsKeyId()),
  );
