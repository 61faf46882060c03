/** The Repository contract on DynamoDB Local. */
import { useDynamoDb } from '../support/dynamodb';
import { limitsContract } from '../support/limits-contract';
import { repositoryContract } from '../support/repository-contract';

const db = useDynamoDb();

repositoryContract({ repository: (options) => db.repository(options) });
limitsContract({ repository: (options) => db.repository(options) });
