/**
 * The ASL files are statemachine/build.ts's output: each equals what it builds, the push-then-poll
 * loop is defined once (statemachine/states.ts), every Retry is one of its named policies. Static checks of the files:
 * substitutions, bounded loops, retries, JSONPath only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STEP_FUNCTIONS } from '../../runtime/step-functions';
import { MACHINES } from '../../statemachine/build';
import {
  INTEGRATION_SUBSTITUTIONS,
  pushAndPoll,
  RETRY_POLICIES,
  STEP_FUNCTION_TIMEOUT_SECONDS,
  TASK_TIMEOUT_SECONDS,
} from '../../statemachine/states';

const dir = join(__dirname, '../../statemachine');
const CHECK_COMMAND = ['$', '{CheckCommandFunctionArn}'].join('');
const PUSH_CONFIG = ['$', '{PushConfigFunctionArn}'].join('');
const LAMBDA_INVOKE = ['$', '{LambdaInvoke}'].join('');
const files = readdirSync(dir).filter((f) => f.endsWith('.asl.json'));

type State = {
  Type: string;
  Next?: string;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  Retry?: { ErrorEquals: string[] }[];
  TimeoutSeconds?: number;
  Branches?: Machine[];
  Resource?: string;
  Parameters?: { FunctionName?: string; Payload?: Record<string, unknown> };
};
type Machine = { StartAt: string; States: Record<string, State>; QueryLanguage?: string };

function allStates(machine: Machine): [string, State, Machine][] {
  return Object.entries(machine.States).flatMap(([name, state]) => [
    [name, state, machine] as [string, State, Machine],
    ...(state.Branches ?? []).flatMap(allStates),
  ]);
}

const successors = (state: State) =>
  [
    state.Next,
    state.Default,
    ...(state.Choices ?? []).map((c) => c.Next),
    ...(state.Catch ?? []).map((c) => c.Next),
  ].filter((n): n is string => Boolean(n));

describe('statemachine/build.ts', () => {
  it('builds exactly the committed files (npx tsx statemachine/build.ts rewrites them)', () => {
    // Assess
    expect(Object.keys(MACHINES).sort()).toEqual([...files].sort());
    for (const [file, build] of Object.entries(MACHINES)) {
      const committed = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      // Stringified, so the order of keys counts too.
      expect({ file, definition: JSON.stringify(committed) }).toEqual({
        file,
        definition: JSON.stringify(build()),
      });
    }
  });

  it('pushes every gateway through the one push-then-poll loop', () => {
    // Prepare
    const loops = Object.values(MACHINES).flatMap((build) =>
      allStates(build() as unknown as Machine).flatMap(([name, state, owner]) => {
        const payload = state.Parameters?.Payload;
        const firstTry = state.Parameters?.FunctionName === PUSH_CONFIG && !name.endsWith('PushAgain');
        return firstTry && payload ? [{ name, payload, owner }] : [];
      }),
    );

    // Assess: create (push, unpush) and delete have two sides each, push-gateway one.
    expect(loops).toHaveLength(7);
    for (const { name, payload, owner } of loops) {
      // Every Task adds the execution's name itself; the loop's own ids are its fourth argument.
      const { 'executionName.$': _executionName, ...correlation } = payload.correlation as Record<
        string,
        string
      >;
      const loop = pushAndPoll(
        name.replace(/Push$/, ''),
        String(payload['gatewayId.$']),
        payload.required === true,
        correlation,
        { supersededByMove: payload.supersededByMove === true },
      );
      expect(owner.States).toEqual(expect.objectContaining(loop));
    }
  });

  it('the push loop polls the command until done, a queued push tries again, and only those loop back', () => {
    // Act
    const loop = pushAndPoll('Side', '$.gatewayId', false);

    // Assess
    expect(Object.keys(loop)).toEqual([
      'SidePush',
      'SidePushed',
      'SideWaitForLease',
      'SidePushAgain',
      'SideWaitForCommand',
      'SideCheckCommand',
      'SideApplied',
    ]);
    expect(loop.SidePush).toMatchObject({ Next: 'SidePushed', ResultPath: '$.push' });
    expect(loop.SidePushed).toMatchObject({
      Choices: [
        { Variable: '$.push.value.done', BooleanEquals: true, Next: 'SideApplied' },
        { Variable: '$.push.value.queued', IsPresent: true, Next: 'SideWaitForLease' },
      ],
      Default: 'SideWaitForCommand',
    });
    // A queued push tries again after a wait, holding the lease as the loop (its first state's name).
    expect(loop.SideWaitForLease).toMatchObject({ Next: 'SidePushAgain' });
    expect(loop.SidePushAgain).toMatchObject({ Next: 'SidePushed', ResultPath: '$.push' });
    expect(loop.SidePushAgain).toMatchObject({
      Parameters: {
        Payload: {
          loop: 'SidePush',
          'executionName.$': '$$.Execution.Name',
          'queued.$': '$.push.value.queued',
        },
      },
    });
    expect(loop.SideWaitForCommand).toMatchObject({ Next: 'SideCheckCommand' });
    expect(loop.SideCheckCommand).toMatchObject({ Next: 'SidePushed', ResultPath: '$.push' });
  });

  it('uses only the named Retry policies', () => {
    // Prepare
    const named = Object.values(RETRY_POLICIES).map((policy) => JSON.stringify(policy));
    const used = Object.values(MACHINES).flatMap((build) =>
      allStates(build() as unknown as Machine).flatMap(([, state]) =>
        (state.Retry ?? []).map((retry) => JSON.stringify(retry)),
      ),
    );

    // Assess
    expect(new Set(used)).toEqual(new Set(named));
  });
});

describe('the step Lambda timeout the Task bound is built on', () => {
  it("is the step functions' timeout in the CDK code (lib/constructs/peering-function.ts)", () => {
    // Prepare: read as text; building a function construct would bundle every handler.
    const source = readFileSync(join(__dirname, '../../lib/constructs/peering-function.ts'), 'utf8');
    // Act
    const step = /\bstep: Duration\.seconds\((\d+)\)/.exec(source)?.[1];
    // Assess
    expect(Number(step)).toBe(STEP_FUNCTION_TIMEOUT_SECONDS);
  });
});

describe.each(files)('%s', (file) => {
  const text = readFileSync(join(dir, file), 'utf8');
  const machine = JSON.parse(text) as Machine;

  it('binds every placeholder to a step function or to the integration', () => {
    const placeholders = [...text.matchAll(/\$\{([A-Za-z0-9]+)\}/g)].map((m) => m[1]);
    expect(placeholders.length).toBeGreaterThan(0);
    for (const name of placeholders) {
      expect([...Object.keys(STEP_FUNCTIONS), ...INTEGRATION_SUBSTITUTIONS]).toContain(name);
    }
  });

  it('names no ARN, hence no partition: each comes from a substitution', () => {
    // Assess: aws-cn and aws-us-gov name theirs `arn:aws-cn:…`, `arn:aws-us-gov:…`
    expect(text).not.toMatch(/arn:/);
    for (const [name, state] of allStates(machine).filter(([, s]) => s.Type === 'Task')) {
      expect({ name, resource: state.Resource }).toEqual({ name, resource: LAMBDA_INVOKE });
    }
  });

  it('uses JSONPath only (the local interpreter ignores JSONata)', () => {
    expect(text).not.toContain('JSONata');
    expect(text).not.toContain('"Arguments"');
  });

  it('retries Lambda service errors and a step that hit its own timeout on every Task', () => {
    for (const [name, state] of allStates(machine).filter(([, s]) => s.Type === 'Task')) {
      const retried = (state.Retry ?? []).flatMap((r) => r.ErrorEquals);
      const covered =
        retried.includes('States.ALL') ||
        ['Lambda.ServiceException', 'Lambda.Unknown', 'Sandbox.Timedout'].every((error) =>
          retried.includes(error),
        );
      expect({ name, covered }).toEqual({ name, covered: true });
    }
  });

  it("bounds every Task above the step Lambda's own timeout, so that timeout fires first", () => {
    for (const [name, state] of allStates(machine).filter(([, s]) => s.Type === 'Task')) {
      expect({ name, timeout: state.TimeoutSeconds }).toEqual({ name, timeout: TASK_TIMEOUT_SECONDS });
    }
    expect(TASK_TIMEOUT_SECONDS).toBeGreaterThan(STEP_FUNCTION_TIMEOUT_SECONDS);
  });

  it('bounds every loop: each cycle passes through CheckCommand, which enforces the poll limit', () => {
    let loops = 0;
    for (const [name, state, owner] of allStates(machine)) {
      // a depth-first walk from each state back to itself
      const seen = new Set<string>();
      const stack = successors(state);
      let cycles = false;
      const path: string[] = [];
      while (stack.length > 0) {
        const next = stack.pop() as string;
        if (next === name) cycles = true;
        if (seen.has(next) || !owner.States[next]) continue;
        seen.add(next);
        path.push(next);
        stack.push(...successors(owner.States[next] as State));
      }
      if (cycles) {
        loops += 1;
        const onCycle = [name, ...path].filter(
          (n) => owner.States[n]?.Parameters?.FunctionName === CHECK_COMMAND,
        );
        expect({ name, boundedBy: onCycle.length > 0 }).toEqual({ name, boundedBy: true });
      }
    }
    expect(loops).toBeGreaterThan(0);
  });
});
