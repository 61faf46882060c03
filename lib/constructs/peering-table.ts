/**
 * The one table (docs/ARCHITECTURE.md, "Data model"), built from the schema constant DynamoDB Local
 * uses too (lambdas/adapters/dynamodb/schema.ts), and the stream that feeds the gateway deletion
 * cascade.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Construct } from 'constructs';
import { TABLE_INDEXES, TABLE_SCHEMA } from '../../lambdas/adapters/dynamodb/schema';
import { acknowledgeWildcardResource } from '../nag';
import { DeadLetterQueue } from './dead-letter-queue';
import type { PeeringFunction } from './peering-function';

export interface PeeringTableProps {
  readonly removalPolicy: RemovalPolicy;
}

export class PeeringTable extends Table {
  constructor(scope: Construct, id: string, { removalPolicy }: PeeringTableProps) {
    super(scope, id, {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      stream: StreamViewType[TABLE_SCHEMA.streamViewType],
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy,
      // A retained table outlives its stack and holds every tenant's records: nobody deletes it by a
      // slip either (a console click, a DeleteTable call). A destroyed one must go with its stack.
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
    });
    for (const index of TABLE_INDEXES) {
      this.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType[index.projection],
      });
    }
  }

  /**
   * The table and its indexes: what a grant of table access covers (admin lists query byEntity,
   * the sweep bySweep, the api byOwnerInFlight).
   */
  get accessResources(): string[] {
    return [this.tableArn, ...TABLE_INDEXES.map((index) => `${this.tableArn}/index/${index.name}`)];
  }

  /**
   * Gateway REMOVE records reach `cascade`; a failing batch is split, retried, then parked in a
   * queue (`CascadeDlq`, beside the table in its scope).
   */
  feedRemovedGateways(cascade: PeeringFunction, removalPolicy: RemovalPolicy): void {
    const dlq = new DeadLetterQueue(this.node.scope as Construct, 'CascadeDlq', {
      removalPolicy,
      description: 'A gateway deletion cascade',
    });
    cascade.addEventSource(
      new DynamoEventSource(this, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 10,
        bisectBatchOnError: true,
        retryAttempts: 5,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(dlq),
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('REMOVE'),
            dynamodb: {
              Keys: {
                [TABLE_SCHEMA.partitionKey]: { S: FilterRule.beginsWith('GW#') },
                [TABLE_SCHEMA.sortKey]: { S: FilterRule.isEqual('META') },
              },
            },
          }),
        ],
      }),
    );
    acknowledgeWildcardResource(
      cascade.serviceRole,
      '*',
      'dynamodb:ListStreams has no resource-level permissions',
    );
  }
}
