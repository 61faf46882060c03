/**
 * A Standard state machine from one of the statemachine/*.asl.json files. The ASL names ARNs only
 * through `${...}` DefinitionSubstitutions; this construct fills the integration's in the stack's
 * partition, maps each other name the file uses to a function, refuses to synthesize when one is
 * unknown, and lets the machine invoke exactly the functions its definition names. An alarm
 * beside it fires on any failed execution, or, for a workflow whose failures are mostly expected
 * outcomes (`expectedErrors`), only on those that failed with another error.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Aws, Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { FilterPattern, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { INTEGRATION_SUBSTITUTIONS, integrationSubstitutions } from '../../statemachine/states';
import { alarmDescription } from './alarm-runbook';
import { logLineCount } from './log-line-count';

/** The distinct `${Name}` placeholders of an ASL text, in order of first use. */
export function aslSubstitutionNames(asl: string): string[] {
  return [...new Set([...asl.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] as string))];
}

export interface PeeringStateMachineProps {
  /** Absolute path of the ASL file. */
  readonly definitionFile: string;
  /** Functions by the substitution name that carries their ARN. */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** Of the execution log group. */
  readonly removalPolicy: RemovalPolicy;
  /** What a failed execution means, for the description of the alarm `<id>ExecutionsFailed`. */
  readonly failureMeaning: string;
  /**
   * The error names of failures that are outcomes, not incidents (a refusal, a gateway that did not
   * apply): the alarm counts, from the execution log, only the executions that failed with another.
   */
  readonly expectedErrors?: readonly string[];
}

export class PeeringStateMachine extends StateMachine {
  constructor(scope: Construct, id: string, props: PeeringStateMachineProps) {
    const names = aslSubstitutionNames(readFileSync(props.definitionFile, 'utf8'));
    const used = substitutedFunctions(props.definitionFile, names, props.functions);
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy,
    });
    super(scope, id, {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromFile(props.definitionFile),
      definitionSubstitutions: {
        ...Object.fromEntries(
          Object.entries(integrationSubstitutions(Aws.PARTITION)).filter(([name]) => names.includes(name)),
        ),
        ...Object.fromEntries(used.map(([name, fn]) => [name, fn.functionArn])),
      },
      tracingEnabled: true,
      logs: {
        destination: logGroup,
        level: LogLevel.ALL,
        // Inputs and outputs carry ids and secret names only (docs/CONTRACT.md#invariants 5), never secret values.
        includeExecutionData: true,
      },
    });
    // The ASL names each function by its unqualified ARN, so neither versions nor aliases (`:*`).
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: used.map(([, fn]) => fn.functionArn),
      }),
    );
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) and CloudWatch Logs vended delivery (logs:CreateLogDelivery, PutResourcePolicy, ...) have no resource-level permissions',
    });
    const period = Duration.minutes(5);
    const alarmId = `${id}ExecutionsFailed`;
    new Alarm(scope, alarmId, {
      alarmDescription: alarmDescription(alarmId, `${id} executions failed: ${props.failureMeaning}`),
      metric: props.expectedErrors
        ? // One event per history event: `type`, and `details.error` for ExecutionFailed.
          logLineCount(scope, `${id}FailedUnexpectedly`, {
            logGroup,
            period,
            filterPattern: FilterPattern.all(
              FilterPattern.stringValue('$.type', '=', 'ExecutionFailed'),
              ...props.expectedErrors.map((error) =>
                FilterPattern.stringValue('$.details.error', '!=', error),
              ),
            ),
          })
        : this.metricFailed({ period, statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

/** The function of each of `names` that is no integration's, by name; throws on an unknown one. */
function substitutedFunctions(
  definitionFile: string,
  names: readonly string[],
  functions: Readonly<Record<string, IFunction>>,
): Array<[string, IFunction]> {
  return names
    .filter((name) => !INTEGRATION_SUBSTITUTIONS.includes(name))
    .map((name) => {
      const fn = functions[name];
      if (!fn) {
        throw new Error(`${basename(definitionFile)} uses \${${name}}, which no function provides`);
      }
      return [name, fn];
    });
}
