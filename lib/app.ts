/**
 * The CDK app: one stack, checked by cdk-nag's AWS Solutions rules. bin/app.ts runs it; the infra
 * tests build the same app, so they see the same findings `cdk synth` reports.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseRestoredTable } from './constructs/peering-table';
import { type RemovalPolicyName, VpcPeeringStack, type VpcPeeringStackProps } from './vpc-peering-stack';

export const STACK_NAME = 'VpcPeering';

export function defineApp(
  app: App,
  props: Omit<VpcPeeringStackProps, 'removalPolicy'> = {},
): VpcPeeringStack {
  const stack = new VpcPeeringStack(app, STACK_NAME, {
    gatewayProductPrincipal: app.node.tryGetContext('gatewayProductPrincipal') as string | undefined,
    alarmEmail: app.node.tryGetContext('alarmEmail') as string | undefined,
    // `-c statusReportConcurrency=200` (a string): anything but a whole number fails the synth.
    statusReportConcurrency: optionalNumber(app.node.tryGetContext('statusReportConcurrency')),
    // `-c peerFanoutStartsPerSecond=40`: likewise.
    peerFanoutStartsPerSecond: optionalNumber(app.node.tryGetContext('peerFanoutStartsPerSecond')),
    // `-c peerFanoutConcurrency=0`: no reserved concurrency, for an account whose quota is small.
    peerFanoutConcurrency: optionalNumber(app.node.tryGetContext('peerFanoutConcurrency')),
    // `-c callerRatePerSecond=0`: no caller throttle, for a test deployment (deploy:local).
    callerRatePerSecond: optionalNumber(app.node.tryGetContext('callerRatePerSecond')),
    // `-c callerWebAcl=false`: no web ACL on the stage, for an account whose WAF is managed centrally.
    callerWebAcl: optionalFlag(app.node.tryGetContext('callerWebAcl')),
    // `-c tableName=<restored> -c tableStreamArn=<its stream>`: bind a table restored from a point
    // in time instead of creating one (README "Restoring the table"); both or neither.
    restoredTable: parseRestoredTable(
      app.node.tryGetContext('tableName'),
      app.node.tryGetContext('tableStreamArn'),
    ),
    ...props,
    removalPolicy: app.node.tryGetContext('removalPolicy') as RemovalPolicyName | undefined,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  // cdk-nag 3 is a policy-validation plugin: any unacknowledged finding fails `cdk synth`.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return stack;
}

function optionalNumber(value: unknown): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** `true`/`false` as a context string or a boolean; anything else fails the synth. */
function optionalFlag(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`callerWebAcl must be true or false, got ${JSON.stringify(value)}`);
}
