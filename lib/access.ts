/**
 * Least privilege per handler (docs/SECURITY.md): `ACCESS` (lib/access-catalog.ts) says what each
 * function of the catalog (lib/handlers.ts) touches, and `grantAccess` turns each kind of access into IAM statements on
 * exactly the resources it covers, each wildcard acknowledged with its reason for cdk-nag.
 */
import { Arn, ArnFormat, type Stack } from 'aws-cdk-lib';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { keys } from '../lambdas/adapters/dynamodb/items';
import type { WorkflowName } from '../lambdas/app/ports';
import type { SecretNames } from '../lambdas/app/secret-names';
import { GATEWAY_TAG } from '../lambdas/shared/gateway-tag';
import { ACCESS, type Access } from './access-catalog';
import {
  COMMAND_OUTPUT_PREFIX,
  type ConfigBucket,
  DELIVERED_SECRETS_PREFIX,
  SECRETS_PREFIX,
  type SecretsBucket,
  STATE_PREFIX,
} from './constructs/buckets';
import type { DocumentPurpose, GatewayCommandDocument } from './constructs/gateway-command-document';
import type { PeeringFunction } from './constructs/peering-function';
import type { PeeringStateMachine } from './constructs/peering-state-machine';
import type { StackTable } from './constructs/peering-table';
import { HANDLERS, type HandlerName } from './handlers';
import { acknowledgeWildcardResource } from './nag';

/** Transactions need no actions of their own: IAM checks each item's Put/Update/Delete/ConditionCheck. */
const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];
/** Items by key: no query, scan, update nor delete (`status-store`). */
const ITEM_GET_PUT_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem'];
/** What GatewayStore.raiseGeneration names: the key, the two attributes it sets, the two it compares. */
export const GENERATION_RAISE_ATTRIBUTES = [
  'pk',
  'sk',
  'desiredGeneration',
  'healedThrough',
  'createdAt',
  'instanceId',
];
const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

const SECRET_PATH_REASON =
  'Secret objects are per gateway, peer and peering, created at run time under the one prefix this system owns';

/** What the grants cover: every resource a handler may be given access to. */
export interface AccessTargets {
  readonly functions: Readonly<Record<HandlerName, PeeringFunction>>;
  readonly table: StackTable;
  readonly secretsBucket: SecretsBucket;
  /** The names the functions give secrets (their SECRET_PREFIX): what the secret grants match. */
  readonly secretNames: SecretNames;
  readonly configBucket: ConfigBucket;
  readonly documents: Readonly<Record<DocumentPurpose, GatewayCommandDocument>>;
  readonly workflows: {
    readonly createPeering: PeeringStateMachine;
    readonly deletePeering: PeeringStateMachine;
    readonly pushGateway: PeeringStateMachine;
  };
}

/** The variable each workflow's ARN is read from (lambdas/shared/env.ts). */
const STATE_MACHINE_ARN_VARIABLE: Record<WorkflowName, string> = {
  'create-peering': 'CREATE_PEERING_STATE_MACHINE_ARN',
  'delete-peering': 'DELETE_PEERING_STATE_MACHINE_ARN',
  'push-gateway': 'PUSH_GATEWAY_STATE_MACHINE_ARN',
};

/** Grants every function of the catalog its `ACCESS`; ARNs are built in `stack`. */
export function grantAccess(stack: Stack, targets: AccessTargets): void {
  const { functions, table, secretsBucket, secretNames, configBucket, documents, workflows } = targets;
  const machines: Record<WorkflowName, PeeringStateMachine> = {
    'create-peering': workflows.createPeering,
    'delete-peering': workflows.deletePeering,
    'push-gateway': workflows.pushGateway,
  };
  const secretObjects = secretsBucket.arnForObjects(`${SECRETS_PREFIX}*`);
  // A secret `/p/...` is the object `secrets/p/...` (lambdas/adapters/s3/secret-store.ts).
  const secretObjectsNamed = (name: string) =>
    secretsBucket.arnForObjects(`${SECRETS_PREFIX}${name.replace(/^\//, '')}`);
  const gatewayKeys = secretObjectsNamed(secretNames.gatewayPrivateKey('*'));
  const roadWarriorKeys = secretObjectsNamed(secretNames.roadWarriorPrivateKey('*', '*', '*'));
  // `psk` and every rotated `psk-<rotation>` (app/secret-names.ts), nothing else of a peering folder.
  const presharedKeys = secretObjectsNamed(`${secretNames.peeringFolder('*')}psk*`);
  // The listing prefix of a peering's folder (S3SecretStore.deleteUnder): `secrets/<prefix>/peerings/*/`.
  const peeringFolders = `${SECRETS_PREFIX}${secretNames.peeringFolder('*').replace(/^\//, '')}`;
  // The listing prefix of a gateway's folder (S3SecretStore.deleteUnder): `secrets/<prefix>/gateways/*/`.
  const gatewayFolders = `${SECRETS_PREFIX}${secretNames.gatewayFolder('*').replace(/^\//, '')}`;
  const deliveredObjects = secretsBucket.arnForObjects(`${DELIVERED_SECRETS_PREFIX}*`);
  const stateObjects = configBucket.arnForObjects(`${STATE_PREFIX}*`);
  const outputObjects = configBucket.arnForObjects(`${COMMAND_OUTPUT_PREFIX}*`);
  const taggedInstances = Arn.format({ service: 'ec2', resource: 'instance', resourceName: '*' }, stack);
  const defaultBus = EventBus.fromEventBusName(stack, 'DefaultBus', 'default');
  const allow = (fn: PeeringFunction, actions: string[], resources: string[]) =>
    fn.addToRolePolicy(new PolicyStatement({ actions, resources }));
  const allowSecrets = (fn: PeeringFunction, actions: string[], objects = [secretObjects]) => {
    allow(fn, actions, objects);
    for (const arn of objects) acknowledgeWildcardResource(fn.serviceRole, arn, SECRET_PATH_REASON);
  };
  // Reading a secret back needs s3:GetObject too: kms:Decrypt through S3 alone reads nothing.
  const useSecretsKey = (fn: PeeringFunction, actions: string[]) =>
    fn.addToRolePolicy(secretsBucket.useKeyThroughS3(actions));

  // Run Command authorizes the document and every target instance: only tagged gateways.
  const sendTo = (fn: PeeringFunction, documentArn: string) => {
    allow(fn, ['ssm:SendCommand'], [documentArn]);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: [taggedInstances],
        conditions: { StringEquals: { [`ssm:resourceTag/${GATEWAY_TAG.key}`]: GATEWAY_TAG.value } },
      }),
    );
    acknowledgeWildcardResource(
      fn.serviceRole,
      taggedInstances,
      `Gateway instances are created by the gateway product; the statement only matches those tagged ${GATEWAY_TAG.key}=${GATEWAY_TAG.value}`,
    );
  };

  // Starts (or joins) and describes executions of one state machine, whose ARN the function is told.
  const startAndDescribe = (fn: PeeringFunction, workflow: WorkflowName) => {
    const machine = machines[workflow];
    machine.grantStartExecution(fn);
    const executions = Arn.format(
      {
        service: 'states',
        resource: 'execution',
        resourceName: `${machine.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      stack,
    );
    allow(fn, ['states:DescribeExecution'], [executions]);
    acknowledgeWildcardResource(
      fn.serviceRole,
      executions,
      'Executions of this one state machine, named per request',
    );
    // Only the entry points start workflows; the steps never do, so no dependency cycle.
    fn.addEnvironment(STATE_MACHINE_ARN_VARIABLE[workflow], machine.stateMachineArn);
  };

  const grants: Record<Access, (fn: PeeringFunction) => void> = {
    'table-read': (fn) => allow(fn, TABLE_READ_ACTIONS, table.accessResources),
    table: (fn) => allow(fn, [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS], table.accessResources),
    // The table alone: items by key need no index. A put still reaches any key (docs/DECISIONS.md).
    'status-store': (fn) => allow(fn, ITEM_GET_PUT_ACTIONS, [table.tableArn]),
    // A gateway item (`GW#…`), its desiredGeneration and healedThrough set over the createdAt and
    // instanceId it compares (GatewayStore.raiseGeneration): every attribute the request names is listed.
    'generation-raise': (fn) =>
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:UpdateItem'],
          resources: [table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [keys.gatewayPartition('*')] },
            'ForAllValues:StringEquals': { 'dynamodb:Attributes': GENERATION_RAISE_ATTRIBUTES },
          },
        }),
      ),
    // Deleting an object needs no KMS permission.
    'secrets-delete': (fn) => allowSecrets(fn, ['s3:DeleteObject']),
    'preshared-keys-delete': (fn) => allowSecrets(fn, ['s3:DeleteObject'], [presharedKeys]),
    // Only a gateway's folder (its key, its road-warriors' keys), never the peerings' keys.
    'gateway-secrets-list': (fn) =>
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [secretsBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [gatewayFolders] } },
        }),
      ),
    // Only a peering's folder (its keys), never a gateway's.
    'preshared-keys-list': (fn) =>
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [secretsBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [peeringFolders] } },
        }),
      ),
    // A peering's key only (app/peering-workflow.ts): never a gateway's or a road-warrior's.
    'preshared-keys-write': (fn) => {
      allowSecrets(fn, ['s3:PutObject', 's3:DeleteObject'], [presharedKeys]);
      useSecretsKey(fn, ['kms:GenerateDataKey']);
    },
    // Gateway and road-warrior private keys; IAM's `*` spans `/`, so the first covers both, but
    // both are named so a reader sees what the api holds. Never a preshared key.
    secrets: (fn) => {
      allowSecrets(fn, ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], [gatewayKeys, roadWarriorKeys]);
      useSecretsKey(fn, ['kms:GenerateDataKey', 'kms:Decrypt']);
    },
    // A server-side copy: S3 decrypts the source and encrypts the tagged copy for the Lambda.
    'deliver-secrets': (fn) => {
      allowSecrets(fn, ['s3:GetObject'], [gatewayKeys, presharedKeys]);
      // `gateways/*/private-key` also matches `gateways/<id>/peers/<peer>/<keyId>/private-key`.
      fn.addToRolePolicy(
        new PolicyStatement({ effect: Effect.DENY, actions: ['s3:GetObject'], resources: [roadWarriorKeys] }),
      );
      allow(fn, ['s3:PutObject', 's3:PutObjectTagging'], [deliveredObjects]);
      acknowledgeWildcardResource(
        fn.serviceRole,
        deliveredObjects,
        'Copies are keyed by gateway and secret name',
      );
      useSecretsKey(fn, ['kms:GenerateDataKey', 'kms:Decrypt']);
    },
    config: (fn) => {
      // Tagged on write: the tag names the one instance that may read the document.
      allow(fn, ['s3:PutObject', 's3:PutObjectTagging'], [stateObjects]);
      acknowledgeWildcardResource(
        fn.serviceRole,
        stateObjects,
        'Documents are keyed by gateway and generation',
      );
    },
    'config-read': (fn) => {
      allow(fn, ['s3:GetObject'], [stateObjects]);
      acknowledgeWildcardResource(
        fn.serviceRole,
        stateObjects,
        'Documents are keyed by gateway and generation',
      );
    },
    // The config bucket's documents only: never the secret copies 'published-delete' also covers.
    'config-prune': (fn) => {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [configBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${STATE_PREFIX}*`] } },
        }),
      );
      allow(fn, ['s3:DeleteObject'], [stateObjects]);
      acknowledgeWildcardResource(
        fn.serviceRole,
        stateObjects,
        'Documents are keyed by gateway and generation: old ones are listed by the gateway prefix',
      );
    },
    commands: (fn) => sendTo(fn, documents.apply.documentArn),
    'report-commands': (fn) => sendTo(fn, documents.report.documentArn),
    'teardown-commands': (fn) => sendTo(fn, documents.teardown.documentArn),
    'published-delete': (fn) => {
      for (const bucket of [configBucket, secretsBucket]) {
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [bucket.bucketArn],
            conditions: { StringLike: { 's3:prefix': [`${STATE_PREFIX}*`] } },
          }),
        );
      }
      allow(fn, ['s3:DeleteObject'], [stateObjects, deliveredObjects]);
      for (const objects of [stateObjects, deliveredObjects]) {
        acknowledgeWildcardResource(
          fn.serviceRole,
          objects,
          'Objects are keyed by gateway: a deleted one is listed by its prefix',
        );
      }
    },
    'command-status': (fn) => {
      allow(fn, ['ssm:GetCommandInvocation'], ['*']);
      allow(fn, ['s3:GetObject'], [outputObjects]);
      acknowledgeWildcardResource(
        fn.serviceRole,
        '*',
        'ssm:GetCommandInvocation has no resource-level permissions',
      );
      acknowledgeWildcardResource(fn.serviceRole, outputObjects, 'Output objects are keyed by command id');
    },
    'workflow:create-peering': (fn) => startAndDescribe(fn, 'create-peering'),
    'workflow:delete-peering': (fn) => startAndDescribe(fn, 'delete-peering'),
    'workflow:push-gateway': (fn) => startAndDescribe(fn, 'push-gateway'),
    audit: (fn) => defaultBus.grantPutEventsTo(fn),
  };
  for (const spec of HANDLERS) {
    for (const access of ACCESS[spec.name]) grants[access](functions[spec.name]);
  }
}
