/** The API Lambda (API Gateway REST proxy): every route of DESIGN §3.2 behind one middy chain. */

import { repository } from '../adapters/dynamodb';
import { configDocuments } from '../adapters/s3/documents';
import { secretStore } from '../adapters/secrets';
import { workflowEngine } from '../adapters/sfn';
import { createApiHandler } from '../app/api/handler';
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
