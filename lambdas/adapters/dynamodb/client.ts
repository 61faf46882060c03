/**
 * The DynamoDB clients, built once per module (Lambda container). The endpoint comes from the
 * SDK's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB handling, so the embedded runtime and a
 * LocalStack deployment only set the environment. Attempts and request time are bounded
 * (../sdk-client.ts), so a repository call ends within table.ts's repositoryCallBoundMs.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { boundedClientConfig } from '../sdk-client';

/** Optional record fields are left out of items instead of being refused by the marshaller. */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The client every handler uses; `overrides` (an endpoint, a region) are for tests. */
export function dynamoDBClient(overrides: DynamoDBClientConfig = {}): DynamoDBClient {
  return new DynamoDBClient({ ...boundedClientConfig('DYNAMODB'), ...overrides });
}

let shared: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  shared ??= createDocumentClient(dynamoDBClient());
  return shared;
}
