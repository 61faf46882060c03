/** The alarm topic (lib/constructs/alarm-topic.ts): encrypted, optionally emailed, on every alarm of its scope. */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Alarm, Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { AlarmTopic } from '../../lib/constructs/alarm-topic';

/** A stack with two alarms and the topic notified by every alarm in it. */
function stackWith(email: string | undefined): { stack: Stack; topic: AlarmTopic } {
  const stack = new Stack(new App(), 'Alarms');
  const metric = new Metric({ namespace: 'Test', metricName: 'Errors', period: Duration.minutes(1) });
  new Alarm(stack, 'Before', { metric, threshold: 0, evaluationPeriods: 1 });
  const topic = new AlarmTopic(stack, 'AlarmTopic', { removalPolicy: RemovalPolicy.DESTROY, email });
  topic.notifyEveryAlarmIn(stack);
  new Alarm(stack, 'After', { metric, threshold: 0, evaluationPeriods: 1 });
  return { stack, topic };
}

describe('AlarmTopic', () => {
  it('is the action of every alarm of its scope, made before or after it', () => {
    // Prepare
    const { stack, topic } = stackWith(undefined);

    // Act
    const template = Template.fromStack(stack);

    // Assess
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(2);
    const topicId = stack.getLogicalId(topic.node.defaultChild as never);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('is encrypted with a key CloudWatch may use, and takes TLS only', () => {
    // Act
    const template = Template.fromStack(stackWith(undefined).stack);

    // Assess
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it("lets this account's CloudWatch alarms publish: its TLS policy replaces SNS's default one", () => {
    // Prepare
    const { stack, topic } = stackWith(undefined);

    // Act
    const template = Template.fromStack(stack);

    // Assess
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: stack.getLogicalId(topic.node.defaultChild as never) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':cloudwatch:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':alarm:*',
                    ],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('subscribes alarmEmail when given', () => {
    // Act
    const template = Template.fromStack(stackWith('ops@example.com').stack);

    // Assess
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });
});
