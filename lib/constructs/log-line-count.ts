/**
 * A count of log lines as a CloudWatch metric: a metric filter on one log group, in the stack's own
 * namespace. What the services' metrics cannot tell apart is in the lines: a failed execution's
 * error name, the api's `Unhandled error in the API`, a sweep's ERROR lines, a stored status
 * report (README.md, "Alarms").
 */
import { type Duration, Stack } from 'aws-cdk-lib';
import type { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { type IFilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface LogLineCountProps {
  readonly logGroup: ILogGroup;
  readonly filterPattern: IFilterPattern;
  /** Of the metric the alarm reads (its statistic is the Sum). */
  readonly period: Duration;
}

/** The filter `id` (its metric is named so too) and the Sum of the lines it matched per `period`. */
export function logLineCount(
  scope: Construct,
  id: string,
  { logGroup, filterPattern, period }: LogLineCountProps,
): Metric {
  return new MetricFilter(scope, id, {
    logGroup,
    filterPattern,
    metricNamespace: `VpcPeering/${Stack.of(scope).stackName}`,
    metricName: id,
    metricValue: '1',
  }).metric({ period, statistic: 'Sum' });
}
