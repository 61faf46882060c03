/** The API Lambda (API Gateway REST proxy): every route of docs/CONTRACT.md#routes behind one middy chain. */

import { repository } from '../adapters/dynamodb';
import { configDocuments } from '../adapters/s3/documents';
import { secretStore } from '../adapters/s3/secret-store';
import { workflowEngine } from '../adapters/sfn';
import { createApiHandler } from '../http/handler';
import { clock } from '../shared/deps';
import { env } from '../shared/env';

export const handler = createApiHandler(
  () => ({
    repository: repository(),
    secrets: secretStore(),
    workflows: workflowEngine(),
    configStore: configDocuments(),
    clock: clock(),
  }),
  () => ({
    waitMs: env.apiWaitMs(),
    pollMs: env.apiPollMs(),
    statusReportPeriodSeconds: env.statusReportIntervalSeconds(),
  }),
  () => ({ addresses: env.addressPolicy(), limits: env.ownerLimits(), throttle: env.callerThrottle() }),
);
