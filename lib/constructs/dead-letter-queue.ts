/**
 * Where records and events that still fail after their retries are parked, with an alarm that
 * fires on each new one (not on the depth: an alarm notifies only when it enters ALARM, so a
 * second message behind a first one nobody deleted would page nobody), and, for a queue whose
 * message is the only record of what failed, one before retention drops it. Also the rule target
 * that parks its failures in one (the gateway events, status reports, sweeper).
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
  /**
   * Nothing else records what a message here says (a lost "VPN Gateway Deleted"): an alarm
   * `<id>MessageAging` fires once the oldest message is MESSAGE_AGE_ALARM old. Default false.
   */
  readonly onlyRecord?: boolean;
}

const RETENTION = Duration.days(14);
/** Four days before RETENTION drops the message, to replay it. */
export const MESSAGE_AGE_ALARM = Duration.days(10);

export class DeadLetterQueue extends Queue {
  /** `<id>MessageParked`: a message was parked in the last 5 minutes. */
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: RETENTION,
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter destination; nothing consumes it automatically',
    });
    // SendMessage by EventBridge or by Lambda (a destination, an event source's on-failure) counts
    // as sent; only SQS's own redrive from a source queue would not, and none feeds these queues.
    const alarmId = `${id}MessageParked`;
    this.alarm = new Alarm(scope, alarmId, {
      alarmDescription: alarmDescription(alarmId, `${props.description} failed after all retries`),
      metric: this.metricNumberOfMessagesSent({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    if (props.onlyRecord) {
      const agingId = `${id}MessageAging`;
      new Alarm(scope, agingId, {
        alarmDescription: alarmDescription(
          agingId,
          `A message has waited ${MESSAGE_AGE_ALARM.toDays()} days in ${id}, which drops it at ${RETENTION.toDays()}`,
        ),
        metric: this.metricApproximateAgeOfOldestMessage({ period: Duration.hours(1), statistic: 'Maximum' }),
        threshold: MESSAGE_AGE_ALARM.toSeconds(),
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
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
