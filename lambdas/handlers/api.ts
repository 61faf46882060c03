/** The API Lambda (API Gateway REST proxy): every route of docs/CONTRACT.md#routes behind one middy chain. */

import { repository } from '../adapters/dynamodb';
import { configDocuments } from '../adapters/s3/documents';
import { secretStore } from '../adapters/s3/secret-store';
import { workflowEngine } from '../adapters/sfn';
import { createApiHandler } from '../http/handler';
import { clock } from '../shared/deps';
import { env } from '../shared/env';

const timing = () => ({
  waitMs: env.apiWaitMs(),
  pollMs: env.apiPollMs(),
  statusReportPeriodSeconds: env.statusReportIntervalSeconds(),
});
const policy = () => ({
  addresses: env.addressPolicy(),
  limits: env.ownerLimits(),
  throttle: env.callerThrottle(),
});

// Read per call (the runtime and tests set them late), and once at cold start: a malformed value
// fails the function's init, naming its variable, instead of answering 500 to every call.
timing();
policy();

export const handler = createApiHandler(
  () => ({
    repository: repository(),
    secrets: secretStore(),
    workflows: workflowEngine(),
    configStore: configDocuments(),
    clock: clock(),
  }),
  timing,
  policy,
);
