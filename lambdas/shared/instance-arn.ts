import { env } from './env';

/**
 * `arn:<partition>:ec2:<region>:<account>:instance/<id>`: an instance named as IAM sees its
 * instance-role session (`ec2:SourceInstanceARN`), which scopes what it may read and write
 * (docs/SECURITY.md). The prefix comes from the stack.
 */
export const instanceArn = (instanceId: string) => `${env.instanceArnPrefix()}${instanceId}`;
