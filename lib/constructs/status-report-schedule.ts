/**
 * Status collection (docs/DECISIONS.md, "Status reports"): this schedule asks every gateway
 * instance for its live report (one Run Command by tag), and a rule beside it
 * (`StatusReportInvocations`) hands each finished report invocation, announced by SSM, over to be
 * stored. Both reach the status-reports function; an event it still fails on is parked in a queue.
 */
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { reportInvocationsPattern } from '../../lambdas/shared/event-patterns';
import { deadLetteredRuleTarget } from './dead-letter-queue';

export interface StatusReportScheduleProps {
  /** The status-reports function. */
  readonly handler: IFunction;
  /** The report document's name: its invocations are the ones stored. */
  readonly reportDocumentName: string;
  readonly interval: Duration;
  /** Of the dead-letter queue. */
  readonly removalPolicy: RemovalPolicy;
}

export class StatusReportSchedule extends Rule {
  constructor(scope: Construct, id: string, props: StatusReportScheduleProps) {
    const target = deadLetteredRuleTarget(scope, props.handler, {
      dlqId: 'StatusReportsDlq',
      description: 'A status event',
      removalPolicy: props.removalPolicy,
      retryAttempts: 4,
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
  }
}
