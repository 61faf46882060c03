/** The API Lambda (API Gateway REST proxy): every route of docs/CONTRACT.md#routes behind one middy chain. */

import { repository } from '../adapters/dynamodb';
import { secretStore } from '../adapters/secrets';
import { workflowEngine } from '../adapters/sfn';
import { createApiHandler } from '../http/handler';
import { clock } from '../shared/deps';
import { env } from '../shared/env';

export const handler = createApiHandler(
  () => ({
    repository: repository(),
    secrets: secretStore(),
    workflows: workflowEngine(),
    clock: clock(),
  }),
  () => ({ waitMs: env.apiWaitMs(), pollMs: env.apiPollMs() }),
);
