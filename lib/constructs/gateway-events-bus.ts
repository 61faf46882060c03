/**
 * The gateway product's events, on a bus of their own: "VPN Gateway Deleted" deletes a gateway and
 * "Updated" moves its endpoint and instance, so only the gateway product may put events there (the
 * default bus admits any principal of the account with events:PutEvents). A rule beside the bus
 * (`GatewayEventsRule`) hands them to the gateway-events function.
 */
import { Annotations, type RemovalPolicy } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import {
  AccountPrincipal,
  AnyPrincipal,
  ArnPrincipal,
  Effect,
  type IPrincipal,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { gatewayEventsPattern } from '../../lambdas/shared/event-patterns';
import { type DeadLetterQueue, deadLetteredRuleTarget } from './dead-letter-queue';

const ACCOUNT_ID = /^[0-9]{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::([0-9]{12}):role\/.+$/;

/** An account id, or a role ARN, as an IAM principal (the default: this stack's account). */
export function gatewayProductPrincipal(producer: string | undefined, ownAccount: string): IPrincipal {
  if (producer === undefined) return new AccountPrincipal(ownAccount);
  if (ACCOUNT_ID.test(producer)) return new AccountPrincipal(producer);
  if (ROLE_ARN.test(producer)) return new ArnPrincipal(producer);
  throw new Error(`gatewayProductPrincipal must be an account id or a role ARN, got ${producer}`);
}

/**
 * What the bus policy denies to everyone else, and the account the rule requires. A resource
 * policy's Allow alone does not exclude anyone of the bus's own account: there, IAM allows a call
 * that either the caller's policy or the resource's allows, so only a Deny shuts out a principal
 * whose own policy allows events:PutEvents on `*`. Undefined for the stack's own account, where
 * there is nobody to name.
 */
function producerFence(
  producer: string | undefined,
  busArn: string,
): { deny: PolicyStatement; account: string } | undefined {
  if (producer === undefined) return undefined;
  const roleAccount = ROLE_ARN.exec(producer)?.[1];
  const condition =
    roleAccount === undefined
      ? { StringNotEquals: { 'aws:PrincipalAccount': producer } }
      : { ArnNotEquals: { 'aws:PrincipalArn': producer } };
  return {
    deny: new PolicyStatement({
      sid: 'NobodyButTheGatewayProduct',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: ['events:PutEvents'],
      resources: [busArn],
      conditions: condition,
    }),
    account: roleAccount ?? producer,
  };
}

export const OWN_ACCOUNT_PRODUCER_WARNING =
  'gatewayProductPrincipal is not set: any principal of this account allowed events:PutEvents can put gateway events on this bus, and a fake "VPN Gateway Deleted" deletes a gateway with its peerings and keys. Deploy with -c gatewayProductPrincipal=arn:aws:iam::<account>:role/<gateway product role> (docs/SECURITY.md)';

export interface GatewayEventsBusProps {
  /** The gateway product's account id or role ARN; undefined: this stack's own account. */
  readonly producer: string | undefined;
  /** The gateway-events function. */
  readonly handler: IFunction;
  /** Of the dead-letter queue. */
  readonly removalPolicy: RemovalPolicy;
}

export class GatewayEventsBus extends EventBus {
  /** `GatewayEventsDlq`: events nothing re-drives (README.md "Alarms" says how to replay one). */
  readonly deadLetterQueue: DeadLetterQueue;

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
    const fence = producerFence(producer, this.eventBusArn);
    if (fence) {
      this.addToResourcePolicy(fence.deny);
    } else {
      Annotations.of(this).addWarningV2(
        'vpc-peering:gateway-producer-is-account',
        OWN_ACCOUNT_PRODUCER_WARNING,
      );
    }
    const target = deadLetteredRuleTarget(scope, handler, {
      dlqId: 'GatewayEventsDlq',
      description: 'A gateway event',
      removalPolicy,
      retryAttempts: 8,
      // Nothing re-drives a parked "Deleted" or "Updated": the message is all that is left of it.
      onlyRecord: true,
    });
    this.deadLetterQueue = target.deadLetterQueue;
    new Rule(scope, 'GatewayEventsRule', {
      eventBus: this,
      description: 'VPN gateway lifecycle events for the VPC peering control plane',
      eventPattern: {
        source: gatewayEventsPattern.source,
        detailType: gatewayEventsPattern['detail-type'],
        // An event put from another account carries that account: a second fence behind the policy.
        ...(fence ? { account: [fence.account] } : {}),
      },
      targets: [target],
    });
  }
}
