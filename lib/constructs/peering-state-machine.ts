/**
 * A Standard state machine from one of the statemachine/*.asl.json files. The ASL names Lambda ARNs
 * only through `${...}` DefinitionSubstitutions; this construct maps each name the file uses to a
 * function, refuses to synthesize when one is unknown, and lets the machine invoke exactly the
 * functions its definition names. An alarm beside it fires on any failed execution.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

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
}

export class PeeringStateMachine extends StateMachine {
  constructor(scope: Construct, id: string, props: PeeringStateMachineProps) {
    const used = substitutedFunctions(props.definitionFile, props.functions);
    super(scope, id, {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromFile(props.definitionFile),
      definitionSubstitutions: Object.fromEntries(used.map(([name, fn]) => [name, fn.functionArn])),
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(scope, `${id}Logs`, {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: props.removalPolicy,
        }),
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
    new Alarm(scope, `${id}ExecutionsFailed`, {
      alarmDescription: `${id} executions failed: ${props.failureMeaning}`,
      metric: this.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

function substitutedFunctions(
  definitionFile: string,
  functions: Readonly<Record<string, IFunction>>,
): Array<[string, IFunction]> {
  return aslSubstitutionNames(readFileSync(definitionFile, 'utf8')).map((name) => {
    const fn = functions[name];
    if (!fn) {
      throw new Error(`${basename(definitionFile)} uses \${${name}}, which no function provides`);
    }
    return [name, fn];
  });
}
