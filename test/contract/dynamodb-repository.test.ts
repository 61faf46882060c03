/** The Repository contract on DynamoDB Local. */
import { useDynamoDb } from '../helpers/dynamodb';
import { repositoryContract } from './repository-contract';

const db = useDynamoDb();

repositoryContract({ repository: (options) => db.repository(options) });
