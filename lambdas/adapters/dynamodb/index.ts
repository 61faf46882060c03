/** The repository accessor handlers use: one DynamoRepository per module, unless one was provided. */
import type { Repository } from '../../app/ports';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { documentClient } from './client';
import { DynamoRepository } from './repository';

export { createDocumentClient, documentClient } from './client';
export { DynamoRepository, type DynamoRepositoryOptions } from './repository';
export { createTableInput, ensureTable, TABLE_SCHEMA } from './schema';

export const repository = (): Repository =>
  resolve('repository', () => new DynamoRepository(documentClient(), env.tableName()));
