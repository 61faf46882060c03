/**
 * No transitional state lasts forever: this schedule runs the sweeper, which re-drives peerings
 * left PROVISIONING or DELETING past the bound (docs/DECISIONS.md, "Durability and truthful
 * status"). A sweep it still fails on is parked in a queue. A sweep that ends but failed some of
 * its work (a re-drive, a release, a cascade, a peer walk) writes ERROR lines and tries again at
 * the next one: an alarm beside it pages when they persist across sweeps.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { alarmDescription } from './alarm-runbook';
import { deadLetteredRuleTarget } from './dead-letter-queue';
import { logLineCount } from './log-line-count';

/**
 * ERROR lines in 3 of 4 sweep periods: a cause that outlasts a few sweeps, not one that the next
 * sweep heals; one period without them (two sweeps' lines in one period) still counts.
 */
export const PERSISTENT_SWEEP_ERRORS = { periods: 4, breaching: 3 };
/** CloudWatch evaluates at most a day of periods. */
const LONGEST_EVALUATION = Duration.days(1);

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
    const { periods, breaching } = PERSISTENT_SWEEP_ERRORS;
    if (props.interval.toSeconds() * periods > LONGEST_EVALUATION.toSeconds()) {
      throw new Error(
        `The sweep interval must be at most ${LONGEST_EVALUATION.toHours() / periods} hours: its alarm reads ${periods} of them`,
      );
    }
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
    // Not a throw once the sweep logged them: Lambda would run the whole sweep twice more at once
    // and park it, for a failure the next sweep retries anyway (docs/DECISIONS.md, "Alarms on the
    // error, the API and the silent loops").
    const alarmId = 'SweepErrorsPersist';
    new Alarm(scope, alarmId, {
      alarmDescription: alarmDescription(
        alarmId,
        `Sweeps wrote ERROR lines in ${breaching} of ${periods} sweep periods: a re-drive, release, cascade or peer walk keeps failing`,
      ),
      metric: logLineCount(scope, 'SweepErrors', {
        logGroup: props.handler.logGroup,
        period: props.interval,
        filterPattern: FilterPattern.stringValue('$.level', '=', 'ERROR'),
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: breaching,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
