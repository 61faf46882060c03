/**
 * Where every alarm of the stack notifies: one encrypted SNS topic, optionally with an email
 * subscription. `notifyEveryAlarmIn` adds it to each alarm of a scope at synthesis, so an alarm
 * added later (a dead-letter queue, a workflow) cannot be left without an action.
 */
import { Arn, ArnFormat, Aspects, type IAspect, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct, IConstruct } from 'constructs';

export interface AlarmTopicProps {
  /** Of the topic's key. */
  readonly removalPolicy: RemovalPolicy;
  /** Subscribed to the topic when given (it must confirm the subscription). */
  readonly email?: string;
}

export class AlarmTopic extends Topic {
  constructor(scope: Construct, id: string, { removalPolicy, email }: AlarmTopicProps) {
    // A customer managed key: CloudWatch cannot publish to a topic under the AWS managed SNS key.
    const key = new Key(scope, `${id}Key`, {
      description: 'Encrypts the VPC peering alarm notifications',
      enableKeyRotation: true,
      removalPolicy,
    });
    key.grant(
      new ServicePrincipal('cloudwatch.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
      }),
      'kms:Decrypt',
      'kms:GenerateDataKey*',
    );
    super(scope, id, { masterKey: key, enforceSSL: true, displayName: 'VPC peering alarms' });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default one (that let
    // the account's services publish): without this, no alarm would ever be delivered.
    const stack = Stack.of(this);
    this.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': Arn.format(
              {
                service: 'cloudwatch',
                resource: 'alarm',
                resourceName: '*',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              },
              stack,
            ),
          },
        },
      }),
    );
    if (email !== undefined) this.addSubscription(new EmailSubscription(email));
  }

  /** Every CloudWatch alarm under `scope` notifies this topic when it goes into ALARM. */
  notifyEveryAlarmIn(scope: IConstruct): void {
    const action = new SnsAction(this);
    const notify: IAspect = {
      visit: (node) => {
        if (node instanceof Alarm) node.addAlarmAction(action);
      },
    };
    Aspects.of(scope).add(notify);
  }
}
