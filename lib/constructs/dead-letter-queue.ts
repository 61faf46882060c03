/**
 * Where records and events that still fail after their retries are parked, with an alarm that
 * fires on the first one: a message here means a gateway or a peering was left for a human. Also
 * the rule target that parks its failures in one (the gateway events, status reports, sweeper).
 */
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { alarmDescription } from './alarm-runbook';

export interface DeadLetterQueueProps {
  readonly removalPolicy: RemovalPolicy;
  /** What lands here, for the alarm description. */
  readonly description: string;
}

export class DeadLetterQueue extends Queue {
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination; nothing consumes it automatically',
    });
    const alarmId = `${id}NotEmpty`;
    this.alarm = new Alarm(scope, alarmId, {
      alarmDescription: alarmDescription(alarmId, `${props.description} failed after all retries`),
      metric: this.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

export interface RuleTargetProps extends DeadLetterQueueProps {
  /** The queue's construct id, beside it in `scope`. */
  readonly dlqId: string;
  /** EventBridge's delivery attempts to the function. */
  readonly retryAttempts: number;
  /**
   * How long an event may wait, for EventBridge's delivery and in Lambda's asynchronous queue, before
   * it is parked here. Default 6 hours (the most Lambda's queue keeps one).
   */
  readonly maxEventAge?: Duration;
}

/** A rule target whose failures are parked in `deadLetterQueue` (an output names one: the runbook's). */
export class DeadLetteredRuleTarget extends LambdaFunction {
  constructor(
    handler: IFunction,
    readonly deadLetterQueue: DeadLetterQueue,
    retryAttempts: number,
    maxEventAge: Duration,
  ) {
    super(handler, { deadLetterQueue, retryAttempts, maxEventAge });
  }
}

/**
 * `handler` as an EventBridge rule target. One queue parks both kinds of failure, in two shapes:
 * events EventBridge could not deliver (the message body is the event), and events the handler
 * still failed on after Lambda's asynchronous retries (Lambda's invocation record, the event under
 * `requestPayload`). README.md "Alarms" says how to invoke the handler again with either.
 */
export function deadLetteredRuleTarget(
  scope: Construct,
  handler: IFunction,
  { dlqId, retryAttempts, maxEventAge, ...queue }: RuleTargetProps,
): DeadLetteredRuleTarget {
  const dlq = new DeadLetterQueue(scope, dlqId, queue);
  handler.configureAsyncInvoke({ retryAttempts: 2, maxEventAge, onFailure: new SqsDestination(dlq) });
  return new DeadLetteredRuleTarget(handler, dlq, retryAttempts, maxEventAge ?? Duration.hours(6));
}
