/**
 * Status collection (docs/DECISIONS.md, "Status reports"): this schedule asks every gateway
 * instance for its live report (one Run Command by tag), and a rule beside it
 * (`StatusReportInvocations`) hands each finished report invocation, announced by SSM, over to be
 * stored. Both reach the status-reports function; an event it still fails on is parked in a queue.
 *
 * At fleet scale (docs/DECISIONS.md, "The report command at fleet scale") every instance runs the
 * report at once, so up to one event per instance arrives within about a minute. The function's
 * reserved concurrency bounds what that burst takes from the account (the API and the workflow
 * steps keep the rest), Lambda queues what waits, and an event older than a period is parked with
 * the failed ones, its alarm saying the reports outrun that concurrency: the next period brings a
 * newer report anyway.
 *
 * A report that never succeeded (an unreachable instance, a broken report document) is dropped
 * with a WARN, and drift repair, which starts from stored reports, stops with it: a heartbeat
 * alarm pages when no report at all was stored for two periods.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { reportInvocationsPattern } from '../../lambdas/shared/event-patterns';
import { alarmDescription } from './alarm-runbook';
import { deadLetteredRuleTarget } from './dead-letter-queue';
import { logLineCount } from './log-line-count';

/**
 * The reserved concurrency README recommends for a fleet (stack prop `statusReportConcurrency`).
 * At about 0.3 s a report (GetCommandInvocation, a read and a write), 200 store 100,000 reports in
 * half of a 5-minute period: the margin Lambda's back-off on a throttled queue takes
 * (docs/DECISIONS.md, "The report command at fleet scale"). Not the default: an account must keep
 * 100 unreserved, so a new account (a quota of 10) could not deploy the stack at all.
 */
export const FLEET_STATUS_REPORT_CONCURRENCY = 200;
/** The INFO line lambdas/handlers/status-reports.ts writes for each report it stored. */
export const REPORT_STORED_MESSAGE = 'status report stored';
/** Periods without one stored report before the heartbeat pages: one late report is no outage. */
const SILENT_PERIODS = 2;
/** SSM's least TimeoutSeconds (SendCommand). */
const SSM_LEAST_DELIVERY = Duration.seconds(30);
/** The least and most event age EventBridge's retry policy and Lambda's asynchronous queue both take. */
const EVENT_AGE_BOUNDS = { least: Duration.minutes(1), most: Duration.hours(6) };

/**
 * The report command's delivery timeout (SendCommand TimeoutSeconds): half the period, at least
 * SSM's 30 s. Under the period, so an instance that was unreachable gets one pending report at most
 * when it is back, never a pile of them; half, because a report delivered later is half stale.
 */
export function reportDeliveryTimeout(interval: Duration): Duration {
  return Duration.seconds(Math.max(SSM_LEAST_DELIVERY.toSeconds(), Math.floor(interval.toSeconds() / 2)));
}

/** How long a status event may wait: one period (the next one brings a newer report or request). */
function eventAge(interval: Duration): Duration {
  const { least, most } = EVENT_AGE_BOUNDS;
  return Duration.seconds(Math.min(most.toSeconds(), Math.max(least.toSeconds(), interval.toSeconds())));
}

export interface StatusReportScheduleProps {
  /** The status-reports function; it is told the delivery timeout (STATUS_REPORT_DELIVERY_TIMEOUT_SECONDS). */
  readonly handler: LambdaFunction;
  /** The report document's name: its invocations are the ones stored. */
  readonly reportDocumentName: string;
  readonly interval: Duration;
  /** The function's reserved concurrency (FLEET_STATUS_REPORT_CONCURRENCY for a fleet). Default: none. */
  readonly concurrency?: number;
  /** Of the dead-letter queue. */
  readonly removalPolicy: RemovalPolicy;
}

export class StatusReportSchedule extends Rule {
  constructor(scope: Construct, id: string, props: StatusReportScheduleProps) {
    const concurrency = props.concurrency;
    if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
      throw new Error(
        `The status report concurrency must be a whole number of at least 1, got ${concurrency}`,
      );
    }
    props.handler.addEnvironment(
      'STATUS_REPORT_DELIVERY_TIMEOUT_SECONDS',
      String(reportDeliveryTimeout(props.interval).toSeconds()),
    );
    if (concurrency !== undefined) {
      (props.handler.node.defaultChild as CfnFunction).reservedConcurrentExecutions = concurrency;
    }
    const target = deadLetteredRuleTarget(scope, props.handler, {
      dlqId: 'StatusReportsDlq',
      description: 'A status event',
      removalPolicy: props.removalPolicy,
      retryAttempts: 4,
      maxEventAge: eventAge(props.interval),
    });
    super(scope, id, {
      description: 'Asks every VPC peering gateway instance for its live status report',
      schedule: Schedule.rate(props.interval),
      targets: [target],
    });
    const pattern = reportInvocationsPattern(props.reportDocumentName);
    new Rule(scope, 'StatusReportInvocations', {
      description: 'Finished status report invocations on the VPC peering gateway instances',
      eventPattern: { source: pattern.source, detailType: pattern['detail-type'], detail: pattern.detail },
      targets: [target],
    });
    // Missing data (no line at all, not even a dropped report's) is the outage itself: breaching.
    const alarmId = 'StatusReportsStopped';
    new Alarm(scope, alarmId, {
      alarmDescription: alarmDescription(
        alarmId,
        `No gateway status report was stored for ${SILENT_PERIODS} report periods: status and drift repair stopped fleet-wide`,
      ),
      metric: logLineCount(scope, 'StatusReportsStored', {
        logGroup: props.handler.logGroup,
        period: props.interval,
        filterPattern: FilterPattern.stringValue('$.message', '=', REPORT_STORED_MESSAGE),
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: SILENT_PERIODS,
      treatMissingData: TreatMissingData.BREACHING,
    });
  }
}
