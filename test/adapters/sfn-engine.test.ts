/**
 * The Step Functions adapter's start by name (SDK mocked with aws-sdk-client-mock, no AWS): a start
 * that ran or joined an open execution says it is running, so callers skip DescribeExecution; a
 * name taken by a closed execution (ExecutionAlreadyExists) points at it, to be described.
 */
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { StepFunctionsEngine } from '../../lambdas/adapters/sfn';

const sfn = mockClient(SFNClient);
const engine = () =>
  new StepFunctionsEngine(
    new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    {
      'create-peering': () => 'arn:aws:states:us-east-1:1:stateMachine:create',
      'delete-peering': () => 'arn:aws:states:us-east-1:1:stateMachine:delete',
      'push-gateway': () => 'arn:aws:states:us-east-1:1:stateMachine:push',
    },
  );

afterEach(() => sfn.reset());

it('answers a start that ran (or joined an open run) as running', async () => {
  // Prepare
  const executionArn = 'arn:aws:states:us-east-1:1:execution:delete:delete-pcx-1';
  sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });
  // Act
  const started = await engine().start('delete-peering', 'delete-pcx-1', { peeringId: 'pcx-1' });
  // Assess
  expect(started).toEqual({ executionId: executionArn, mayHaveEnded: false });
  expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
    stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:delete',
    name: 'delete-pcx-1',
    input: '{"peeringId":"pcx-1"}',
  });
});

it('points at the closed execution whose name is taken, as one that may have ended', async () => {
  // Prepare
  sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} }));
  // Act
  const started = await engine().start('delete-peering', 'delete-pcx-1', { peeringId: 'pcx-1' });
  // Assess
  expect(started).toEqual({
    executionId: 'arn:aws:states:us-east-1:1:execution:delete:delete-pcx-1',
    mayHaveEnded: true,
  });
});
