/**
 * Attached by the gateway product to its instance role, next to AmazonSSMManagedInstanceCore. One
 * policy for every instance, each held to its own gateway by its session's `ec2:SourceInstanceARN`
 * (docs/SECURITY.md): it reads only objects tagged with its own ARN (its gateway's documents and
 * the secret copies delivered to it), decrypts only delivered copies, and writes apply output only
 * under its own ARN. It grants no Parameter Store access (AmazonSSMManagedInstanceCore does:
 * docs/SECURITY.md, "Known limitations"), no control-plane secret, no road-warrior key.
 */
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../nag';
import {
  COMMAND_OUTPUT_PREFIX,
  type ConfigBucket,
  DELIVERED_SECRETS_PREFIX,
  type SecretsBucket,
  STATE_PREFIX,
} from './buckets';

/** The instance's own ARN, as IAM sees its instance-role session (docs/SECURITY.md). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
export const SOURCE_INSTANCE = '${ec2:SourceInstanceARN}';
/** The object tag that names the one instance allowed to read an object. */
export const INSTANCE_TAG_CONDITION = 's3:ExistingObjectTag/vpc-peering-instance';

export interface GatewayInstancePolicyProps {
  readonly configBucket: ConfigBucket;
  readonly secretsBucket: SecretsBucket;
}

export class GatewayInstancePolicy extends ManagedPolicy {
  constructor(scope: Construct, id: string, { configBucket, secretsBucket }: GatewayInstancePolicyProps) {
    const ownObjects = [
      configBucket.arnForObjects(`${STATE_PREFIX}*`),
      secretsBucket.arnForObjects(`${DELIVERED_SECRETS_PREFIX}*`),
    ];
    const ownOutput = configBucket.arnForObjects(`${COMMAND_OUTPUT_PREFIX}${SOURCE_INSTANCE}/*`);
    const reportOutput = configBucket.arnForObjects(`${COMMAND_OUTPUT_PREFIX}reports/*`);
    super(scope, id, {
      description:
        'VPC peering gateway instances: read their own documents and secret copies, write their output',
      statements: [
        new PolicyStatement({
          actions: ['s3:GetObject'],
          resources: ownObjects,
          conditions: { StringEquals: { [INSTANCE_TAG_CONDITION]: SOURCE_INSTANCE } },
        }),
        // The SSM agent uploads the command output with the instance's credentials: an apply's
        // under its own ARN; the report command's under one shared prefix (docs/SECURITY.md).
        new PolicyStatement({ actions: ['s3:PutObject'], resources: [ownOutput, reportOutput] }),
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [secretsBucket.key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': secretsBucket.keyViaService },
            ArnLike: {
              'kms:EncryptionContext:aws:s3:arn': secretsBucket.arnForObjects(`${DELIVERED_SECRETS_PREFIX}*`),
            },
          },
        }),
      ],
    });
    for (const resource of ownObjects) {
      acknowledgeWildcardResource(this, resource, 'Only objects tagged with the calling instance ARN');
    }
    acknowledgeWildcardResource(this, ownOutput, 'Only below the calling instance ARN');
    acknowledgeWildcardResource(
      this,
      reportOutput,
      'The report command writes every instance output under one prefix',
    );
  }
}
