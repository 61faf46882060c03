/**
 * The two buckets and the secrets key. Config bucket: desired-state documents (no secret values,
 * only secret names) and Run Command output. Secrets bucket: the control plane's secrets as SSE-KMS
 * objects (lambdas/adapters/s3/secret-store.ts) and the per-gateway copies delivered to instances
 * (lambdas/adapters/s3/secrets.ts).
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/**
 * Object prefixes. Config bucket: desired-state documents (lambdas/adapters/s3) and Run Command
 * output (lambdas/adapters/ssm sends it there, as GetCommandInvocation truncates stdout). Secrets
 * bucket: the control plane's secrets and the per-gateway copies delivered to instances.
 */
export const STATE_PREFIX = 'gateways/';
export const COMMAND_OUTPUT_PREFIX = 'command-output/';
export const SECRETS_PREFIX = 'secrets/';
export const DELIVERED_SECRETS_PREFIX = 'gateways/';

export interface BucketProps {
  readonly removalPolicy: RemovalPolicy;
}

/** Desired-state documents and command output. */
export class ConfigBucket extends Bucket {
  constructor(scope: Construct, id: string, { removalPolicy }: BucketProps) {
    super(scope, id, {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      lifecycleRules: [
        { noncurrentVersionExpiration: Duration.days(30) },
        // Documents pruned after each applied push (app/status-reports.ts) go after a day, and so do
        // their delete markers: a busy hub's listing stays as short as its live documents.
        {
          prefix: STATE_PREFIX,
          noncurrentVersionExpiration: Duration.days(1),
          expiredObjectDeleteMarker: true,
        },
        // Read once by CheckCommand; the instance's last report lives in the table.
        { prefix: COMMAND_OUTPUT_PREFIX, expiration: Duration.days(30) },
      ],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the control plane writes here and gateway instances read their own documents; the objects hold no secrets and every access is an IAM-authorized API call visible to CloudTrail',
    });
  }
}

/**
 * Secrets as SSE-KMS objects, one per secret (no per-account count ceiling), encrypted with their
 * own key (`SecretsKey`, beside the bucket in `scope`). Not versioned: a deleted secret must be
 * gone, not kept as a noncurrent version. No bucket key: each object's data key is bound to its own
 * ARN (the encryption context the instance policy checks).
 */
export class SecretsBucket extends Bucket {
  readonly key: Key;

  constructor(scope: Construct, id: string, { removalPolicy }: BucketProps) {
    const key = new Key(scope, 'SecretsKey', {
      description: 'Encrypts the VPC peering secrets (private and preshared keys) and their instance copies',
      enableKeyRotation: true,
      removalPolicy,
    });
    super(scope, id, {
      encryption: BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: false,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    this.key = key;
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Every access is an IAM-authorized API call visible to CloudTrail, and every read a KMS Decrypt logged with the object ARN',
    });
  }

  /** The S3 endpoint that may use the key on a caller's behalf (`kms:ViaService`). */
  get keyViaService(): string {
    const stack = Stack.of(this.key);
    return `s3.${stack.region}.${stack.urlSuffix}`;
  }

  /** KMS use on the secrets key, only on behalf of S3 (the bucket's SSE-KMS). */
  useKeyThroughS3(actions: string[]): PolicyStatement {
    return new PolicyStatement({
      actions,
      resources: [this.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': this.keyViaService } },
    });
  }
}
