/**
 * The gateway product's events, on a bus of their own: "VPN Gateway Deleted" deletes a gateway and
 * "Updated" moves its endpoint and instance, so only the gateway product may put events there (the
 * default bus admits any principal of the account with events:PutEvents). A rule beside the bus
 * (`GatewayEventsRule`) hands them to the gateway-events function.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { AccountPrincipal, ArnPrincipal, type IPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { gatewayEventsPattern } from '../../lambdas/shared/event-patterns';
import { deadLetteredRuleTarget } from './dead-letter-queue';

/** An account id, or a role ARN, as an IAM principal (the default: this stack's account). */
export function gatewayProductPrincipal(producer: string | undefined, ownAccount: string): IPrincipal {
  if (producer === undefined) return new AccountPrincipal(ownAccount);
  if (/^[0-9]{12}$/.test(producer)) return new AccountPrincipal(producer);
  if (/^arn:aws[a-z-]*:iam::[0-9]{12}:role\/.+$/.test(producer)) return new ArnPrincipal(producer);
  throw new Error(`gatewayProductPrincipal must be an account id or a role ARN, got ${producer}`);
}

export interface GatewayEventsBusProps {
  /** The gateway product's account id or role ARN; undefined: this stack's own account. */
  readonly producer: string | undefined;
  /** The gateway-events function. */
  readonly handler: IFunction;
  /** Of the dead-letter queue. */
  readonly removalPolicy: RemovalPolicy;
}

export class GatewayEventsBus extends EventBus {
  constructor(scope: Construct, id: string, { producer, handler, removalPolicy }: GatewayEventsBusProps) {
    super(scope, id, {
      description: 'Events of the VPN gateway product, for the VPC peering control plane',
    });
    this.addToResourcePolicy(
      new PolicyStatement({
        sid: 'GatewayProductOnly',
        principals: [gatewayProductPrincipal(producer, this.stack.account)],
        actions: ['events:PutEvents'],
        resources: [this.eventBusArn],
        conditions: { StringEquals: { 'events:source': gatewayEventsPattern.source } },
      }),
    );
    new Rule(scope, 'GatewayEventsRule', {
      eventBus: this,
      description: 'VPN gateway lifecycle events for the VPC peering control plane',
      eventPattern: { source: gatewayEventsPattern.source, detailType: gatewayEventsPattern['detail-type'] },
      targets: [
        deadLetteredRuleTarget(scope, handler, {
          dlqId: 'GatewayEventsDlq',
          description: 'A gateway event',
          removalPolicy,
          retryAttempts: 8,
        }),
      ],
    });
  }
}
