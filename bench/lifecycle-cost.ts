/**
 * Section 7: estimated AWS cost of one peering lifecycle (create + delete), from what the embedded
 * runtime counts while running a few lifecycles through the API:
 * - Step Functions state transitions: StateEntered events of every execution (the interpreter's
 *   event log) and StateRetried ones; the command-polling loop is re-counted at the AWS pace (see
 *   AWS_POLLS_PER_PUSH), since locally its Wait lasts 20 ms instead of 2 s and loops more;
 * - Lambda invocations and their durations (step handlers wrapped; the API handler counted per
 *   request, its duration taken as the HTTP response time);
 * - DynamoDB read and write request units as AWS bills them (bench/aws-request-units.ts, off every
 *   response of the shared document client: a transaction priced per item, not as DynamoDB Local
 *   reports it);
 * - S3 PUTs (config-store puts) and GETs (one per apply), SSM Run Command sends, EventBridge
 *   PutEvents entries (audit events).
 * Prices: us-east-1 list prices, written beside each line.
 */
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { FileConfigStore } from '../lambdas/adapters/local/file-config-store';
import type { ConfigStore } from '../lambdas/app/ports';
import { provideDependencies } from '../lambdas/shared/deps';
import { STEP_FUNCTIONS } from '../runtime/step-functions';
import { meterAwsRequestUnits } from './aws-request-units';
import {
  type Metric,
  registerGateways,
  round,
  type SectionResult,
  startBenchRuntime,
  WAIT_NOTE,
} from './harness';

const LIFECYCLES = 5;
const LAMBDA_GB = 0.25;
/** On AWS the apply (~0.3 s of script + SSM delivery) ends within the first 2 s Wait: one poll. */
const AWS_POLLS_PER_PUSH = 1;
/** Per poll the ASL loops through Wait → CheckCommand → the Pushed Choice. */
const TRANSITIONS_PER_POLL = 3;
const API_WAIT_WINDOW_S = 8;

/** USD, us-east-1 list prices. */
const PRICES = {
  stateTransition: 0.025 / 1_000,
  lambdaRequest: 0.2 / 1_000_000,
  lambdaGbSecondArm: 0.0000133334,
  dynamoWriteUnit: 0.625 / 1_000_000,
  dynamoReadUnit: 0.125 / 1_000_000,
  s3Put: 0.005 / 1_000,
  s3Get: 0.0004 / 1_000,
  eventBridgeEvent: 1 / 1_000_000,
  apiGatewayRestRequest: 3.5 / 1_000_000,
  ssmRunCommandOnEc2: 0,
} as const;

interface Counters {
  transitions: number;
  retries: number;
  waits: number;
  stepInvocations: number;
  stepSeconds: number;
  readUnits: number;
  writeUnits: number;
  s3Puts: number;
  commands: number;
}

const counters: Counters = {
  transitions: 0,
  retries: 0,
  waits: 0,
  stepInvocations: 0,
  stepSeconds: 0,
  readUnits: 0,
  writeUnits: 0,
  s3Puts: 0,
  commands: 0,
};

export async function benchLifecycleCost(): Promise<SectionResult> {
  countStateTransitions();
  meterStepFunctions();
  const bench = await startBenchRuntime('files');
  try {
    const { documentClient } = await import('../lambdas/adapters/dynamodb');
    meterAwsRequestUnits(documentClient(), counters);
    provideDependencies({ configStore: countingStore(new FileConfigStore(join(bench.dataDir, 'config'))) });
    const send = bench.runtime.commands.send.bind(bench.runtime.commands);
    bench.runtime.commands.send = (command) => {
      counters.commands++;
      return send(command);
    };

    const ids = await registerGateways(bench.admin, 'k', 2 * (LIFECYCLES + 1));
    const lifecycle = async (i: number) => {
      const started = performance.now();
      const created = await bench.admin.call('POST', `/v1/gateways/${ids[2 * i]}/vpc-peerings`, {
        remoteGatewayId: ids[2 * i + 1],
      });
      if (created.status !== 201 && created.status !== 202) {
        throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
      }
      // 202: the API's wait window passed (a loaded machine); the delete follows the settled create.
      if (created.status === 202) await bench.runtime.settled();
      const createdAt = performance.now();
      await bench.admin.expect('DELETE', `/v1/vpc-peerings/${created.body.id}`, 204);
      await bench.runtime.settled();
      return (createdAt - started + (performance.now() - createdAt)) / 1000;
    };
    await lifecycle(0); // warm-up, not counted
    const before = { ...counters };
    const auditBefore = bench.runtime.audit.events.length;
    let apiSeconds = 0;
    for (let i = 1; i <= LIFECYCLES; i++) apiSeconds += await lifecycle(i);
    const per = perLifecycle(before);
    const auditEvents = (bench.runtime.audit.events.length - auditBefore) / LIFECYCLES;
    return costReport(per, auditEvents, apiSeconds / LIFECYCLES);
  } finally {
    await bench.stop();
  }
}

function perLifecycle(before: Counters): Counters {
  return Object.fromEntries(
    Object.entries(counters).map(([key, value]) => [
      key,
      (value - before[key as keyof Counters]) / LIFECYCLES,
    ]),
  ) as unknown as Counters;
}

function costReport(per: Counters, auditEvents: number, apiSeconds: number): SectionResult {
  const pushes = per.commands;
  // The polling loop re-counted at the AWS pace; everything else as counted.
  const awsTransitions =
    per.transitions - TRANSITIONS_PER_POLL * per.waits + TRANSITIONS_PER_POLL * AWS_POLLS_PER_PUSH * pushes;
  const awsCheckInvocations = AWS_POLLS_PER_PUSH * pushes;
  const localChecks = per.waits;
  const lambdaRequests = per.stepInvocations - localChecks + awsCheckInvocations + 2;
  const gbSeconds = (per.stepSeconds + apiSeconds) * LAMBDA_GB;
  const lines: [string, number, number, string][] = [
    ['Step Functions state transitions', awsTransitions, PRICES.stateTransition, '$0.025 per 1,000'],
    ['Lambda requests (steps + 2 API)', lambdaRequests, PRICES.lambdaRequest, '$0.20 per 1M'],
    ['Lambda GB-s (256 MB arm64)', gbSeconds, PRICES.lambdaGbSecondArm, '$0.0000133334 per GB-s'],
    ['DynamoDB write request units as AWS bills it', per.writeUnits, PRICES.dynamoWriteUnit, '$0.625 per 1M'],
    ['DynamoDB read request units as AWS bills it', per.readUnits, PRICES.dynamoReadUnit, '$0.125 per 1M'],
    ['S3 PUT (state documents)', per.s3Puts, PRICES.s3Put, '$0.005 per 1,000'],
    ['S3 GET (instance fetches)', pushes, PRICES.s3Get, '$0.0004 per 1,000'],
    ['SSM Run Command (EC2)', pushes, PRICES.ssmRunCommandOnEc2, 'free for EC2'],
    ['EventBridge audit events', auditEvents, PRICES.eventBridgeEvent, '$1.00 per 1M'],
    ['API Gateway REST requests', 2, PRICES.apiGatewayRestRequest, '$3.50 per 1M'],
  ];
  const total = lines.reduce((sum, [, count, price]) => sum + count * price, 0);
  // Upper bound of the API Lambda's duration: the whole wait window on both calls.
  const worstApiGbSeconds = 2 * API_WAIT_WINDOW_S * LAMBDA_GB;
  const metrics: Metric[] = [
    ...lines.map(([metric, count, price, priced]) => ({
      metric,
      value: round(count),
      baseline: `${priced}`,
      goal: `$${(count * price).toFixed(8)}`,
    })),
    {
      metric: 'estimated cost per lifecycle',
      value: `$${total.toFixed(7)}`,
      baseline: `$${(total * 1_000_000).toFixed(2)} per million lifecycles`,
    },
  ];
  return {
    metrics,
    notes: [
      'columns here: value = count per lifecycle, baseline = unit price, goal = cost of that line',
      `state transitions counted locally: ${round(per.transitions)} (incl. ${round(per.waits)} poll loops at 20 ms); ` +
        `AWS figure assumes ${AWS_POLLS_PER_PUSH} poll per push (2 s Wait)`,
      `Lambda GB-s from local durations (steps ${round(per.stepSeconds)} s, API ${round(apiSeconds)} s); ` +
        `if the API Lambda waited its whole ${API_WAIT_WINDOW_S} s window twice: +$${(worstApiGbSeconds * PRICES.lambdaGbSecondArm).toFixed(7)}`,
      'request units: a transaction at 2 per item per started KB (writes) or 4 KB (reads), an item it updates, ' +
        'deletes or checks counted as 1 KB (a lower bound); other calls as DynamoDB Local reports them (by item size)',
      'not counted: SSM Parameter Store (standard, free) and the KMS decrypts of SecureString reads, CloudWatch Logs',
      WAIT_NOTE,
    ],
    details: { lifecycles: LIFECYCLES, perLifecycle: per, auditEvents, apiSeconds, prices: PRICES },
  };
}

/** Counts StateEntered/StateRetried events of every execution the interpreter runs in this process. */
function countStateTransitions(): void {
  const run = StateMachine.prototype.run;
  StateMachine.prototype.run = function (this: StateMachine, ...args: Parameters<StateMachine['run']>) {
    const execution = run.apply(this, args);
    void (async () => {
      for await (const event of execution.eventLogs) {
        if (event.type === 'StateEntered') {
          counters.transitions++;
          if (event.state.type === 'Wait') counters.waits++;
        }
        if (event.type === 'StateRetried') counters.retries++;
      }
    })().catch(() => {});
    return execution;
  };
}

/** Wraps every step handler the workflow engine dispatches to, counting invocations and duration. */
function meterStepFunctions(): void {
  for (const [name, handler] of Object.entries(STEP_FUNCTIONS)) {
    STEP_FUNCTIONS[name] = async (payload, context) => {
      const started = performance.now();
      counters.stepInvocations++;
      try {
        return await handler(payload, context);
      } finally {
        counters.stepSeconds += (performance.now() - started) / 1000;
      }
    };
  }
}

function countingStore(store: ConfigStore): ConfigStore {
  return {
    put: (gatewayId, generation, document) => {
      counters.s3Puts++;
      return store.put(gatewayId, generation, document);
    },
    get: (gatewayId, generation) => store.get(gatewayId, generation),
    deleteThrough: (gatewayId, generation) => store.deleteThrough(gatewayId, generation),
    pruneBelow: (gatewayId, below, writtenBefore, signal) =>
      store.pruneBelow(gatewayId, below, writtenBefore, signal),
  };
}
