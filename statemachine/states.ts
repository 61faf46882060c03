/**
 * The pieces statemachine/build.ts assembles the three state machines from: the substitutions, the
 * step bounds, every Retry policy (each defined once, by name), the Lambda Task, the push-then-poll
 * loop and the both-sides pushes. Nothing here names an ARN (DefinitionSubstitutions placeholders
 * only: docs/DECISIONS.md, "The ASL names no partition").
 */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type State = { [key: string]: Json };
type States = Record<string, State>;
export interface Machine {
  Comment: string;
  StartAt: string;
  States: States;
}

/**
 * The substitutions that name no function, by partition (`aws`, `aws-cn`, `aws-us-gov`): a Task's
 * integration ARN names the partition, which only the deployment knows, so the stack fills it from
 * `Aws.PARTITION` and the embedded runtime with `aws` (docs/DECISIONS.md, "The ASL names no
 * partition").
 */
export function integrationSubstitutions(partition: string): Record<string, string> {
  return { LambdaInvoke: `arn:${partition}:states:::lambda:invoke` };
}
/** Their names, which no function carries. */
export const INTEGRATION_SUBSTITUTIONS: readonly string[] = Object.keys(integrationSubstitutions('aws'));

/** A substitution's placeholder in the ASL. */
const placeholder = (name: string) => `\${${name}}`;
const LAMBDA_INVOKE = placeholder('LambdaInvoke');
/** The step functions' own timeout (lib/constructs/peering-function.ts, ROLE_TIMEOUTS.step). */
export const STEP_FUNCTION_TIMEOUT_SECONDS = 30;
/**
 * Bound of one Lambda step: the function's own timeout, Lambda's 10 s init phase and 5 s to spare.
 * The function's timeout fires first and is retried as `Lambda.Unknown` / `Sandbox.Timedout`
 * (RETRY_TIMED_OUT); a bound below it would
 * retry a step its Lambda still runs. This one only ends an invoke the Lambda service never
 * answers (`States.Timeout`, retried too).
 */
export const TASK_TIMEOUT_SECONDS = STEP_FUNCTION_TIMEOUT_SECONDS + 15;
/** Between two polls of a command (CheckCommand bounds how many polls a push makes). */
const POLL_INTERVAL_SECONDS = 2;

/** A Lambda's ARN, as a DefinitionSubstitutions placeholder. */
const functionArn = (name: string) => placeholder(`${name}FunctionArn`);

/**
 * A step that ran out of time, or died: run again, since every step is idempotent
 * (docs/CONTRACT.md#invariants 6), but twice at most. A function that hits its own timeout (or runs
 * out of memory) is reported as `Lambda.Unknown`, as `Sandbox.Timedout` by newer runtimes, never
 * as `States.Timeout` (TASK_TIMEOUT_SECONDS is above the function's, so that one only ends an
 * invoke the Lambda service never answers). `Lambda.ClientExecutionTimeoutException`: the invoke
 * itself timed out (AWS's recommended Retry for Lambda tasks). Each run may take the whole 30 s:
 * with the six retries of RETRY_TRANSIENT, a step that always timed out held its execution for
 * up to 4½ minutes before its Catch (docs/DECISIONS.md, "State machine source").
 */
const RETRY_TIMED_OUT: State = {
  ErrorEquals: [
    'Lambda.Unknown',
    'Sandbox.Timedout',
    'States.Timeout',
    'Lambda.ClientExecutionTimeoutException',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 2,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};
/** Lambda service hiccups and the handlers' TransientError: quick to fail, retried with backoff. */
const RETRY_TRANSIENT: State = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'TransientError',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 6,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};
/** What a Lambda step retries unless it says otherwise; the first retrier that matches counts. */
const RETRY_STEP: State[] = [RETRY_TIMED_OUT, RETRY_TRANSIENT];
/** SSM has not registered the command's invocation yet: ask again shortly. */
const RETRY_INVOCATION_NOT_READY: State = {
  ErrorEquals: ['InvocationNotReadyError'],
  IntervalSeconds: 1,
  MaxAttempts: 10,
  BackoffRate: 1.5,
};
/** Clean-up steps (compensate, release) must get through: any error is retried. */
export const RETRY_CLEANUP: State = {
  ErrorEquals: ['States.ALL'],
  IntervalSeconds: 1,
  MaxAttempts: 5,
  BackoffRate: 2,
  JitterStrategy: 'FULL',
};
/** A best-effort push of both sides (unpush, delete) is tried once more as a whole. */
const RETRY_BOTH_SIDES_ONCE_MORE: State = {
  ErrorEquals: ['States.ALL'],
  IntervalSeconds: 2,
  MaxAttempts: 2,
  BackoffRate: 2,
};

/** Every Retry policy the definitions use, by name. */
export const RETRY_POLICIES = {
  RETRY_TIMED_OUT,
  RETRY_TRANSIENT,
  RETRY_INVOCATION_NOT_READY,
  RETRY_CLEANUP,
  RETRY_BOTH_SIDES_ONCE_MORE,
} as const;

interface LambdaTask {
  /** The function's name in DefinitionSubstitutions, without `FunctionArn`. */
  fn: string;
  payload: State;
  /** Ids for the step's log lines that its payload does not carry (the pushes' peering id). */
  correlation?: State;
  resultPath: string | null;
  /** Default: the handler's whole result, under `value`. */
  resultSelector?: State;
  retry?: State[];
  catch?: State[];
  next: string;
}

export function lambdaTask(task: LambdaTask): State {
  return {
    Type: 'Task',
    Resource: LAMBDA_INVOKE,
    TimeoutSeconds: TASK_TIMEOUT_SECONDS,
    Parameters: {
      FunctionName: functionArn(task.fn),
      // The step handler logs these on every line and hands the step only its own input
      // (lambdas/shared/step-handler.ts; README, "Logs").
      Payload: {
        ...task.payload,
        correlation: { ...task.correlation, 'executionName.$': '$$.Execution.Name' },
      },
    },
    ResultSelector: task.resultSelector ?? { 'value.$': '$.Payload' },
    ResultPath: task.resultPath,
    Retry: task.retry ?? RETRY_STEP,
    ...(task.catch ? { Catch: task.catch } : {}),
    Next: task.next,
  };
}

export const catchInto = (resultPath: string, next: string, errors: string[] = ['States.ALL']): State => ({
  ErrorEquals: errors,
  ResultPath: resultPath,
  Next: next,
});

export const fail = (): State => ({
  Type: 'Fail',
  ErrorPath: '$.failure.Error',
  CausePath: '$.failure.Cause',
});

/**
 * The name ending of the Wait state a push queued behind its gateway's push lease takes before its
 * next try: the embedded runtime shortens it less than the command polls (runtime/workflow-engine.ts
 * `queuedWaitMs`).
 */
export const QUEUED_WAIT_SUFFIX = 'WaitForLease';

/**
 * The push-then-poll loop for the gateway at `gatewayIdPath`: PushConfig publishes its document and
 * sends the apply command (done at once when there is nothing to send), then CheckCommand polls the
 * command every POLL_INTERVAL_SECONDS until it is applied; CheckCommand fails the loop when the
 * command fails or its poll limit is reached. A push that finds another of its gateway's pushes in
 * flight (the gateway's push lease, app/push-lease.ts pushUnderLease) answers queued: it waits as long
 * and tries again (PushAgain), done as soon as the gateway applied what it needs, else sending the
 * latest generation once the lease is free. The loop's state name and the execution's name hold
 * the lease. `required`: a gone gateway fails the push instead of being skipped. State names start
 * with `prefix`; `correlation` goes to every step's log lines. `supersededByMove` (push-gateway's
 * only): a push its gateway's unfinished move outran is done, superseded (app/peering-workflow.ts
 * pushStep; docs/DECISIONS.md, "A moved gateway's early push renders before its walk").
 */
export function pushAndPoll(
  prefix: string,
  gatewayIdPath: string,
  required: boolean,
  correlation: State = {},
  { supersededByMove = false } = {},
): States {
  const names = {
    push: `${prefix}Push`,
    pushed: `${prefix}Pushed`,
    waitForLease: `${prefix}${QUEUED_WAIT_SUFFIX}`,
    pushAgain: `${prefix}PushAgain`,
    wait: `${prefix}WaitForCommand`,
    check: `${prefix}CheckCommand`,
    applied: `${prefix}Applied`,
  };
  const push = {
    'gatewayId.$': gatewayIdPath,
    required,
    ...(supersededByMove ? { supersededByMove } : {}),
    'executionName.$': '$$.Execution.Name',
    loop: names.push,
  };
  return {
    [names.push]: lambdaTask({
      fn: 'PushConfig',
      payload: push,
      correlation,
      resultPath: '$.push',
      next: names.pushed,
    }),
    [names.pushed]: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.push.value.done', BooleanEquals: true, Next: names.applied },
        { Variable: '$.push.value.queued', IsPresent: true, Next: names.waitForLease },
      ],
      Default: names.wait,
    },
    [names.waitForLease]: { Type: 'Wait', Seconds: POLL_INTERVAL_SECONDS, Next: names.pushAgain },
    [names.pushAgain]: lambdaTask({
      fn: 'PushConfig',
      payload: { ...push, 'queued.$': '$.push.value.queued' },
      correlation,
      resultPath: '$.push',
      next: names.pushed,
    }),
    [names.wait]: { Type: 'Wait', Seconds: POLL_INTERVAL_SECONDS, Next: names.check },
    [names.check]: lambdaTask({
      fn: 'CheckCommand',
      payload: { 'ticket.$': '$.push.value.ticket' },
      correlation: { ...correlation, 'gatewayId.$': gatewayIdPath },
      resultPath: '$.push',
      retry: [...RETRY_STEP, RETRY_INVOCATION_NOT_READY],
      next: names.pushed,
    }),
    [names.applied]: { Type: 'Succeed' },
  };
}

/**
 * Both gateways of a peering (`$.gatewayIds[0]` and `[1]`), pushed side by side. The result is
 * dropped unless `rest` keeps it (create-peering keeps what each side applied: PUSHED_SIDES).
 */
export function pushBothSides(name: string, required: boolean, rest: State): State {
  return {
    Type: 'Parallel',
    Branches: (['A', 'B'] as const).map((side, index) => ({
      StartAt: `${name}${side}Push`,
      States: pushAndPoll(`${name}${side}`, `$.gatewayIds[${index}]`, required, PEERING_ONLY),
    })),
    ResultPath: null,
    ...rest,
  };
}

/**
 * What each side's push loop ended with: CheckCommand's `{done, gatewayId, generation}`, the
 * generation that push rendered, or PushConfig's, the generation it needed and found applied. Activate requires each side to have applied at least that one
 * (app/peering-workflow.ts activatePeering).
 */
export const PUSHED_SIDES: State = {
  ResultSelector: { 'sides.$': '$[*].push.value' },
  ResultPath: '$.pushed',
};

/**
 * Both sides pushed on the way out (unpush after a failure, delete): a gone gateway is skipped, the
 * pair is tried once more, and a failure is recorded at `failurePath` without stopping the clean-up.
 */
export function bestEffortBothSides(name: string, failurePath: string, next: string): State {
  return pushBothSides(name, false, {
    Next: next,
    Retry: [RETRY_BOTH_SIDES_ONCE_MORE],
    Catch: [catchInto(failurePath, next)],
  });
}

export const PEERING_ONLY = { 'peeringId.$': '$.peeringId' };

/** Frees the peering's addresses and pair lock; `deleteRecord`: the peering record goes too. */
export const release = (deleteRecord: boolean, next: string): State =>
  lambdaTask({
    fn: 'Release',
    payload: { ...PEERING_ONLY, deleteRecord },
    resultPath: null,
    retry: [RETRY_CLEANUP],
    next,
  });
