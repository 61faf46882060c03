/**
 * The DynamoDB clients, built once per module (Lambda container). The endpoint comes from the
 * SDK's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_DYNAMODB handling, so the embedded runtime and a
 * LocalStack deployment only set the environment.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Optional record fields are left out of items instead of being refused by the marshaller. */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

let shared: DynamoDBDocumentClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  shared ??= createDocumentClient(new DynamoDBClient({}));
  return shared;
}
