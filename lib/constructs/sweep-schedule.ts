/**
 * No transitional state lasts forever: this schedule runs the sweeper, which re-drives peerings
 * left PROVISIONING or DELETING past the bound (docs/DECISIONS.md, "Durability and truthful
 * status"). A sweep it still fails on is parked in a queue.
 */
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { deadLetteredRuleTarget } from './dead-letter-queue';

export interface SweepScheduleProps {
  /** The sweeper function; it is told the bound (STALLED_PEERING_BOUND_SECONDS). */
  readonly handler: LambdaFunction;
  readonly interval: Duration;
  /** How long a peering may stay PROVISIONING or DELETING. */
  readonly stalledPeeringBound: Duration;
  /** Of the dead-letter queue. */
  readonly removalPolicy: RemovalPolicy;
}

export class SweepSchedule extends Rule {
  constructor(scope: Construct, id: string, props: SweepScheduleProps) {
    props.handler.addEnvironment(
      'STALLED_PEERING_BOUND_SECONDS',
      String(props.stalledPeeringBound.toSeconds()),
    );
    super(scope, id, {
      description: 'Re-drives VPC peerings left PROVISIONING or DELETING with no running execution',
      schedule: Schedule.rate(props.interval),
      targets: [
        deadLetteredRuleTarget(scope, props.handler, {
          dlqId: 'SweeperDlq',
          description: 'A sweep',
          removalPolicy: props.removalPolicy,
          retryAttempts: 2,
        }),
      ],
    });
  }
}
