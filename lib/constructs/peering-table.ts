/**
 * The one table (docs/ARCHITECTURE.md, "Data model"), built from the schema constant DynamoDB Local
 * uses too (lambdas/adapters/dynamodb/schema.ts), and the stream that feeds the gateway deletion
 * cascade. Or, after a point-in-time restore (README "Restoring the table"), the restored table,
 * which AWS creates under a new name: bound by its name and stream, never created here.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Construct } from 'constructs';
import { TABLE_INDEXES, TABLE_SCHEMA } from '../../lambdas/adapters/dynamodb/schema';
import { acknowledgeWildcardResource } from '../nag';
import { DeadLetterQueue } from './dead-letter-queue';
import type { PeeringFunction } from './peering-function';

export interface PeeringTableProps {
  readonly removalPolicy: RemovalPolicy;
}

/** What the stack needs of its table, whether it created it or binds a restored one. */
export interface StackTable {
  readonly tableName: string;
  readonly tableArn: string;
  /** The table and its indexes: what a grant of table access covers. */
  readonly accessResources: string[];
  /** Gateway REMOVE records of the table's stream reach `cascade` (feedRemovedGatewaysOf). */
  feedRemovedGateways(cascade: CascadeTarget, removalPolicy: RemovalPolicy): void;
}

/** The cascade function, as its event source needs it: its sources, and its role for cdk-nag. */
export type CascadeTarget = Pick<PeeringFunction, 'addEventSource' | 'serviceRole'>;

/** A restored table, by what `-c tableName=… -c tableStreamArn=…` give (parseRestoredTable). */
export interface RestoredTableRef {
  readonly tableName: string;
  /** Its stream's ARN (`aws dynamodb describe-table … LatestStreamArn`): the cascade's source. */
  readonly tableStreamArn: string;
}

/** The two contexts together or neither: a table without its stream would leave the cascade unfed. */
export function parseRestoredTable(
  tableName: unknown,
  tableStreamArn: unknown,
): RestoredTableRef | undefined {
  if (tableName === undefined && tableStreamArn === undefined) return undefined;
  if (typeof tableName !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) {
    throw new Error(`tableName must be a DynamoDB table name, got ${JSON.stringify(tableName)}`);
  }
  const streamOfTable = new RegExp(
    `^arn:[\\w-]+:dynamodb:[\\w-]+:\\d{12}:table/${tableName.replace(/\./g, '\\.')}/stream/\\S+$`,
  );
  if (typeof tableStreamArn !== 'string' || !streamOfTable.test(tableStreamArn)) {
    throw new Error(
      `tableStreamArn must be the stream ARN of table ${tableName}, got ${JSON.stringify(tableStreamArn)}`,
    );
  }
  return { tableName, tableStreamArn };
}

/** The stack's table: the one it creates (`Table`), or the restored one `restored` names. */
export function stackTable(
  scope: Construct,
  removalPolicy: RemovalPolicy,
  restored: RestoredTableRef | undefined,
): PeeringTable | RestoredPeeringTable {
  return restored
    ? new RestoredPeeringTable(scope, 'RestoredTable', restored)
    : new PeeringTable(scope, 'Table', { removalPolicy });
}

/** The table and its indexes, by the table's ARN. */
const accessResourcesOf = (tableArn: string): string[] => [
  tableArn,
  ...TABLE_INDEXES.map((index) => `${tableArn}/index/${index.name}`),
];

export class PeeringTable extends Table implements StackTable {
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
    return accessResourcesOf(this.tableArn);
  }

  feedRemovedGateways(cascade: CascadeTarget, removalPolicy: RemovalPolicy): void {
    feedRemovedGatewaysOf(this, this.node.scope as Construct, cascade, removalPolicy);
  }
}

/**
 * A table restored from a point in time, which AWS creates under a new name: imported, never
 * created, so the stack neither owns nor deletes it. Its stream, TTL, point-in-time recovery and
 * deletion protection are the SRE's to set again (README "Restoring the table").
 */
export class RestoredPeeringTable extends Construct implements StackTable {
  readonly table: ITable;

  constructor(scope: Construct, id: string, { tableName, tableStreamArn }: RestoredTableRef) {
    super(scope, id);
    this.table = Table.fromTableAttributes(this, 'Imported', { tableName, tableStreamArn });
  }

  get tableName(): string {
    return this.table.tableName;
  }

  get tableArn(): string {
    return this.table.tableArn;
  }

  get accessResources(): string[] {
    return accessResourcesOf(this.tableArn);
  }

  feedRemovedGateways(cascade: CascadeTarget, removalPolicy: RemovalPolicy): void {
    feedRemovedGatewaysOf(this.table, this.node.scope as Construct, cascade, removalPolicy);
  }
}

/**
 * Gateway REMOVE records of `table`'s stream reach `cascade`; a failing batch is split, retried,
 * then parked in a queue (`CascadeDlq`, beside the table in the stack's scope, whichever table).
 */
function feedRemovedGatewaysOf(
  table: ITable,
  stackScope: Construct,
  cascade: CascadeTarget,
  removalPolicy: RemovalPolicy,
): void {
  const dlq = new DeadLetterQueue(stackScope, 'CascadeDlq', {
    removalPolicy,
    description: 'A gateway deletion cascade',
  });
  cascade.addEventSource(
    new DynamoEventSource(table, {
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
