/**
 * The `generation-raise` grant (lib/access.ts) admits an UpdateItem only when every attribute it
 * names is listed (`dynamodb:Attributes`), so the list must hold every attribute the request of
 * GatewayStore.raiseGeneration names (its key, what it sets and what it compares), and no more
 * than those. Read off the request the DynamoDB repository sends (SDK mocked with
 * aws-sdk-client-mock, no AWS).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { GENERATION_RAISE_ATTRIBUTES } from '../../lib/access';
import { gatewayRecord } from '../support/gateways';

const documents = mockClient(DynamoDBDocumentClient);

afterEach(() => documents.reset());

/** The attribute names an update's key and expressions name (placeholders resolved, values left out). */
function attributesNamed(update: UpdateCommandInput): string[] {
  const expressions = [update.UpdateExpression, update.ConditionExpression].join(' ');
  const words = expressions.match(/(?<![:#\w])[A-Za-z_]\w*/g) ?? [];
  const keywords = new Set(['SET', 'REMOVE', 'ADD', 'DELETE', 'AND', 'OR', 'NOT', 'attribute_exists']);
  const placeholders = Object.values(update.ExpressionAttributeNames ?? {});
  return [
    ...new Set([...Object.keys(update.Key ?? {}), ...words.filter((w) => !keywords.has(w)), ...placeholders]),
  ];
}

it('lists every attribute the raise of a restored gateway names, and no other', async () => {
  // Prepare
  documents.on(UpdateCommand).resolves({});
  const repository = new DynamoRepository(
    DynamoDBDocumentClient.from(
      new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    ),
    'table',
  );

  // Act
  await repository.raiseGeneration({ ...gatewayRecord(), desiredGeneration: 1 }, 4);
  const [call] = documents.commandCalls(UpdateCommand);

  // Assess
  expect(call).toBeDefined();
  const named = attributesNamed(call?.args[0].input ?? { Key: {}, TableName: 'table' });
  expect(named.sort()).toEqual([...GENERATION_RAISE_ATTRIBUTES].sort());
});
