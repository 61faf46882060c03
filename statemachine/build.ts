/**
 * The one source of the state machines: statemachine/*.asl.json are this module's output, written by
 * `npx tsx statemachine/build.ts` and checked equal to it by test/workflow/asl.test.ts. The
 * push-then-poll loop (`pushAndPoll`) and each Retry policy are defined once, in
 * statemachine/states.ts; the JSON files repeat them because ASL has no reuse. Lambda ARNs appear only as `${NameFunctionArn}`
 * placeholders, and the Lambda integration as `${LambdaInvoke}`, filled by DefinitionSubstitutions
 * (lib/constructs/peering-state-machine.ts) and by the embedded runtime (runtime/workflow-engine.ts):
 * the files name no ARN, hence no partition.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bestEffortBothSides,
  catchInto,
  fail,
  lambdaTask,
  type Machine,
  PEERING_ONLY,
  PUSHED_SIDES,
  pushAndPoll,
  pushBothSides,
  RETRY_CLEANUP,
  release,
} from './states';

export function createPeering(): Machine {
  const pair = { ...PEERING_ONLY, 'gatewayId.$': '$.gatewayId', 'remoteGatewayId.$': '$.remoteGatewayId' };
  return {
    Comment:
      'Create a VPC peering: validate, allocate (one DynamoDB transaction), push both gateways, activate. Any failure after allocation is compensated, unless the peering is ACTIVE after all (Activate set it, then failed): the execution then ends as Active.',
    StartAt: 'Validate',
    States: {
      Validate: lambdaTask({
        fn: 'Validate',
        payload: pair,
        resultSelector: { 'gatewayIds.$': '$.Payload.gatewayIds' },
        resultPath: '$.validated',
        next: 'Sides',
      }),
      Sides: {
        Type: 'Pass',
        Parameters: { ...pair, 'gatewayIds.$': '$.validated.gatewayIds' },
        Next: 'AllocateTunnelIps',
      },
      AllocateTunnelIps: lambdaTask({
        fn: 'Allocate',
        payload: pair,
        resultPath: null,
        // Refusals leave nothing written (one transaction). ItemTooLargeError is one too: a hub's
        // route block past DynamoDB's 400 KB (docs/DECISIONS.md, "Peerings per gateway").
        catch: [
          catchInto('$.failure', 'Rejected', ['ConflictError', 'NotFoundError', 'ItemTooLargeError']),
          catchInto('$.failure', 'Compensate'),
        ],
        next: 'PushConfig',
      }),
      Rejected: fail(),
      PushConfig: pushBothSides('PushConfig', true, {
        ...PUSHED_SIDES,
        Next: 'Activate',
        Catch: [catchInto('$.failure', 'Compensate')],
      }),
      Activate: lambdaTask({
        fn: 'Activate',
        payload: { ...PEERING_ONLY, 'pushed.$': '$.pushed.sides' },
        resultPath: '$.activated',
        catch: [catchInto('$.failure', 'Compensate')],
        next: 'Active',
      }),
      Active: { Type: 'Pass', Parameters: { ...PEERING_ONLY, status: 'ACTIVE' }, End: true },
      Compensate: lambdaTask({
        fn: 'Compensate',
        payload: { ...PEERING_ONLY, 'failure.$': '$.failure' },
        resultPath: '$.compensated',
        retry: [RETRY_CLEANUP],
        next: 'ActiveDespiteFailure',
      }),
      // Activate set ACTIVE, then failed into its Catch: Compensate undid nothing, and the
      // execution ends as Active does. `IsPresent`: a Compensate that returns nothing (an older
      // release's) goes on with the undo instead of failing the Choice.
      ActiveDespiteFailure: {
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.compensated.value.active', IsPresent: true },
              { Variable: '$.compensated.value.active', BooleanEquals: true },
            ],
            Next: 'Active',
          },
        ],
        Default: 'UnpushConfig',
      },
      UnpushConfig: bestEffortBothSides('UnpushConfig', '$.unpushFailure', 'ReleaseAllocations'),
      ReleaseAllocations: release(false, 'PeeringFailed'),
      PeeringFailed: fail(),
    },
  };
}

export function deletePeering(): Machine {
  return {
    Comment:
      'Delete a VPC peering: detach both peer entries, push both gateways (a gone gateway is skipped), release addresses and the pair lock, delete the record.',
    StartAt: 'Detach',
    States: {
      Detach: lambdaTask({
        fn: 'Detach',
        payload: PEERING_ONLY,
        resultPath: '$.detached',
        next: 'PeeringExists',
      }),
      PeeringExists: {
        Type: 'Choice',
        Choices: [{ Variable: '$.detached.value.found', BooleanEquals: false, Next: 'AlreadyDeleted' }],
        Default: 'Sides',
      },
      AlreadyDeleted: { Type: 'Succeed' },
      Sides: {
        Type: 'Pass',
        Parameters: { ...PEERING_ONLY, 'gatewayIds.$': '$.detached.value.gatewayIds' },
        Next: 'PushConfig',
      },
      PushConfig: bestEffortBothSides('PushConfig', '$.pushFailure', 'Release'),
      Release: release(true, 'Deleted'),
      Deleted: { Type: 'Succeed' },
    },
  };
}

export function pushGateway(): Machine {
  return {
    Comment:
      "Push one gateway's whole desired state after a change that needs no workflow of its own (a road-warrior change, a gateway endpoint change): publish it, send the apply command, follow the command until applied (a gone gateway is skipped; a push its moving gateway's key-rotation walk outran ends superseded, the move's end pushing after the walk). Started by the API and the gateway event handler, named by the gateway and the generation the change produced.",
    StartAt: 'Push',
    States: pushAndPoll('', '$.gatewayId', false, {}, { supersededByMove: true }),
  };
}

/** Every committed definition, by file name. */
export const MACHINES: Record<string, () => Machine> = {
  'create-peering.asl.json': createPeering,
  'delete-peering.asl.json': deletePeering,
  'push-gateway.asl.json': pushGateway,
};

/**
 * `npx tsx statemachine/build.ts` writes every definition, then lets Biome lay the JSON out as it
 * does every other file (the test compares parsed definitions, so layout is Biome's alone).
 */
if (require.main === module) {
  const files = Object.entries(MACHINES).map(([file, build]) => {
    const path = join(__dirname, file);
    writeFileSync(path, `${JSON.stringify(build(), null, 2)}\n`);
    return path;
  });
  const biome = spawnSync('npx', ['biome', 'format', '--write', ...files], { stdio: 'inherit' });
  process.exitCode = biome.status ?? 1;
}
