/** DynamoDB failures become the typed errors of lambdas/core/errors.ts (SDK mocked, no DynamoDB). */
import {
  DynamoDBClient,
  InternalServerError,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/client';
import { toTypedError } from '../../lambdas/adapters/dynamodb/errors';
import { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { ConflictError, ItemTooLargeError, TransientError } from '../../lambdas/core/errors';
import { gatewayRecord } from '../support/gateways';
import { roadWarrior } from '../support/records';

const metadata = { $metadata: {}, message: 'from the mock' };
const documents = createDocumentClient(new DynamoDBClient({ region: 'local' }));
const dynamo = mockClient(documents);
const repository = () => new DynamoRepository(documents, 'table', { maxAttempts: 2, random: () => 0 });

afterEach(() => dynamo.reset());

describe('DynamoDB error mapping', () => {
  it.each([
    ['ThrottlingException', Object.assign(new Error('slow down'), { name: 'ThrottlingException' })],
    ['ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException(metadata)],
    ['InternalServerError', new InternalServerError(metadata)],
    [
      'TransactionConflictException',
      Object.assign(new Error('conflict'), { name: 'TransactionConflictException' }),
    ],
    ['a socket hang-up', new Error('AWS SDK error wrapper for TimeoutError: socket hang up')],
    ['a connection reset', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
  ])('turns %s into TransientError', async (_name, failure) => {
    // Prepare
    dynamo.on(GetCommand).rejects(failure);

    // Act
    const read = repository().getGateway('gw-1');

    // Assess
    await expect(read).rejects.toBeInstanceOf(TransientError);
  });

  it('turns a conditional failure of createGateway into GATEWAY_EXISTS', async () => {
    // Prepare: no tombstone; the gateway Put's condition failed (the tombstone delete had none).
    dynamo.on(GetCommand).resolves({});
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        ...metadata,
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
      }),
    );

    // Act
    const create = repository().createGateway(gatewayRecord());

    // Assess
    await expect(create).rejects.toEqual(new ConflictError('GATEWAY_EXISTS'));
  });

  it('gives up with TransientError when every commit conflicts, then cancels its reservation', async () => {
    // Prepare
    const gateway = gatewayRecord();
    dynamo.on(PutCommand).resolves({});
    const conflict = new TransactionCanceledException({
      ...metadata,
      CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
    });
    dynamo.on(TransactWriteCommand).rejects(conflict);

    // Act
    const add = repository().addRoadWarrior({ ...roadWarrior(gateway.id, 'rw'), gateway });

    // Assess
    await expect(add).rejects.toBeInstanceOf(TransientError);
    const transactions = dynamo
      .commandCalls(TransactWriteCommand)
      .map((call) => call.args[0].input.TransactItems?.map((item) => Object.keys(item)[0]));
    // The commit: the peer entry, the gateway's counters, the entry's public-key item.
    expect(transactions).toEqual([
      ['Put', 'Update', 'Put'],
      ['Put', 'Update', 'Put'],
      ['Delete', 'ConditionCheck'],
    ]);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(1);
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('leaves a cancellation caused by a condition for the repository to read', () => {
    // Prepare
    const cancelled = new TransactionCanceledException({
      ...metadata,
      CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'TransactionConflict' }],
    });

    // Act
    const mapped = toTypedError(cancelled);

    // Assess
    expect(mapped).toBe(cancelled);
  });

  const SIZE_MESSAGE = 'Item size to update has exceeded the maximum allowed size';
  it.each([
    [
      'an item past 400 KB',
      [{ Code: 'None' }, { Code: 'ValidationError', Message: SIZE_MESSAGE }],
      ItemTooLargeError,
    ],
    ['another ValidationError', [{ Code: 'ValidationError', Message: 'Invalid UpdateExpression' }], Error],
  ])(
    'turns a transaction cancelled for %s into a permanent error, never a race to retry',
    (_case, reasons, type) => {
      // Prepare
      const cancelled = new TransactionCanceledException({ ...metadata, CancellationReasons: reasons });

      // Act
      const mapped = toTypedError(cancelled);

      // Assess
      expect(mapped).toBeInstanceOf(type);
      expect((mapped as Error).name).not.toBe('TransactionCanceledException');
      expect((mapped as Error).cause).toBe(cancelled);
    },
  );

  it('leaves a ValidationError beside a failed condition for the repository to read', () => {
    // Prepare
    const cancelled = new TransactionCanceledException({
      ...metadata,
      CancellationReasons: [
        { Code: 'ConditionalCheckFailed' },
        { Code: 'ValidationError', Message: SIZE_MESSAGE },
      ],
    });

    // Act
    const mapped = toTypedError(cancelled);

    // Assess
    expect(mapped).toBe(cancelled);
  });
});
