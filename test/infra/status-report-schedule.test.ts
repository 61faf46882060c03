/**
 * The status report schedule (lib/constructs/status-report-schedule.ts) at fleet scale: the report
 * command's delivery timeout comes from the period, the status-reports function's concurrency is
 * reserved (a burst of one event per instance cannot take the account's), and a status event older
 * than a period is not kept waiting (docs/DECISIONS.md, "The report command at fleet scale").
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  FLEET_STATUS_REPORT_CONCURRENCY,
  reportDeliveryTimeout,
  StatusReportSchedule,
} from '../../lib/constructs/status-report-schedule';
import { inlineFunction } from '../support/inline-function';

/** The schedule alone in a stack, with a stand-in status-reports function. */
function scheduleOf(interval: Duration, concurrency?: number): Template {
  const stack = new Stack(new App(), 'Reports');
  const handler = inlineFunction(stack, 'StatusReportsFunction');
  new StatusReportSchedule(stack, 'StatusReportSchedule', {
    handler,
    reportDocumentName: 'ReportDoc',
    interval,
    concurrency,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return Template.fromStack(stack);
}

describe('reportDeliveryTimeout', () => {
  test.each([
    [Duration.minutes(5), 150],
    [Duration.minutes(2), 60],
    [Duration.minutes(1), 30],
    [Duration.hours(1), 1800],
  ])('%s → %i s: half the period, at least SSM least (30 s)', (interval, seconds) => {
    // Act
    const timeout = reportDeliveryTimeout(interval);

    // Assess
    expect(timeout.toSeconds()).toBe(seconds);
  });
});

describe('StatusReportSchedule', () => {
  test('tells the function the delivery timeout of its period', () => {
    // Act
    const template = scheduleOf(Duration.minutes(5));

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { STATUS_REPORT_DELIVERY_TIMEOUT_SECONDS: '150' } },
    });
  });

  test('reserves the function the concurrency it is told, and none by default (a new account could not deploy)', () => {
    // Act
    const byDefault = scheduleOf(Duration.minutes(5));
    const told = scheduleOf(Duration.minutes(5), FLEET_STATUS_REPORT_CONCURRENCY);

    // Assess
    expect(FLEET_STATUS_REPORT_CONCURRENCY).toBe(200);
    byDefault.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
    told.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 200 });
  });

  test.each([0, -1, 2.5])('refuses a concurrency of %s', (concurrency) => {
    // Act and assess
    expect(() => scheduleOf(Duration.minutes(5), concurrency)).toThrow(/concurrency must be a whole number/);
  });

  test('keeps a status event one period at most, in EventBridge and in the function queue, then parks it', () => {
    // Act
    const template = scheduleOf(Duration.minutes(5));

    // Assess: both rules (the schedule and the finished invocations) share the target.
    const target = Match.objectLike({
      RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 300 },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('StatusReportsDlq'), 'Arn'] } },
    });
    template.resourcePropertiesCountIs('AWS::Events::Rule', { Targets: [target] }, 2);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumEventAgeInSeconds: 300,
      MaximumRetryAttempts: 2,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('StatusReportsDlq'), 'Arn'] } },
      },
    });
  });

  test('a period past 6 hours keeps an event 6 hours, the most Lambda queues one', () => {
    // Act
    const template = scheduleOf(Duration.hours(12));

    // Assess
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumEventAgeInSeconds: 21600 });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(12 hours)',
      Targets: [Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumEventAgeInSeconds: 21600 }) })],
    });
  });
});
