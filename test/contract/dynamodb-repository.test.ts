/** The Repository contract on DynamoDB Local. */
import { useDynamoDb } from '../support/dynamodb';
import { repositoryContract } from '../support/repository-contract';

const db = useDynamoDb();

repositoryContract({ repository: (options) => db.repository(options) });
