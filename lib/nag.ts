/**
 * cdk-nag 3 acknowledgments for wildcard resources. AwsSolutions-IAM5 names each finding by the
 * flattened resource (`<Logical.Attr>/prefix/*`); computing the id from the same ARN the policy
 * uses keeps each acknowledgment tied to exactly that resource, not to any wildcard of the role.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/** Acknowledges each cdk-nag finding `id` on `scope` with its reason. */
export function acknowledge(scope: IConstruct, reasons: Record<string, string>): void {
  for (const [id, reason] of Object.entries(reasons)) Validations.of(scope).acknowledge({ id, reason });
}

export function acknowledgeWildcardResource(scope: IConstruct, arn: string, reason: string): void {
  const flattened = flattenCfnReference(Stack.of(scope).resolve(arn));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flattened}]`, reason });
}
