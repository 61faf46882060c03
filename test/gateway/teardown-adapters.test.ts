/**
 * The AWS side of a deleted gateway's teardown on mocked clients: the teardown command through SSM
 * Run Command (a terminated instance is "nothing to tear down", throttling is retried), and the
 * deletion of its documents and delivered secret copies in S3.
 */
import {
  DeleteObjectsCommand,
  type DeleteObjectsCommandInput,
  ListObjectsV2Command,
  type ListObjectsV2CommandInput,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  InvalidInstanceId,
  SendCommandCommand,
  type SendCommandCommandInput,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ConfigStore } from '../../lambdas/adapters/s3';
import { S3InstanceSecrets, secretCopiesWithdrawal } from '../../lambdas/adapters/s3/secrets';
import { SsmCommandBus } from '../../lambdas/adapters/ssm';
import { TransientError } from '../../lambdas/core/errors';
import { objectsAnswering } from '../support/s3-fetch';

const ssm = mockClient(SSMClient);
const s3 = mockClient(S3Client);
const ARN_PREFIX = 'arn:aws:ec2:us-east-1:123456789012:instance/';
process.env.GATEWAY_INSTANCE_ARN_PREFIX = ARN_PREFIX;
const region = { region: 'us-east-1' };
const bus = () =>
  new SsmCommandBus(new SSMClient(region), objectsAnswering('config-bucket').objects, {
    apply: 'ApplyDoc',
    report: 'ReportDoc',
    teardown: 'TeardownDoc',
  });
const command = { instanceId: 'i-0abc', gatewayId: 'gw-a', generation: 42 };

beforeEach(() => {
  ssm.reset();
  s3.reset();
});

afterAll(() => {
  ssm.restore();
  s3.restore();
});

describe('SsmCommandBus.teardown', () => {
  it('sends the teardown document to the one instance, with the gateway id and its last generation', async () => {
    // Prepare
    const sent: SendCommandCommandInput[] = [];
    ssm.on(SendCommandCommand).callsFake((input: SendCommandCommandInput) => {
      sent.push(input);
      return { Command: { CommandId: 'cmd-teardown' } };
    });

    // Act
    const commandId = await bus().teardown(command);

    // Assess
    expect(commandId).toBe('cmd-teardown');
    expect(sent).toEqual([
      expect.objectContaining({
        DocumentName: 'TeardownDoc',
        InstanceIds: ['i-0abc'],
        Parameters: { gatewayId: ['gw-a'], generation: ['42'] },
        TimeoutSeconds: 30 * 24 * 60 * 60,
        OutputS3BucketName: 'config-bucket',
        OutputS3KeyPrefix: `command-output/${ARN_PREFIX}i-0abc`,
      }),
    ]);
  });

  it('answers undefined for an instance SSM does not know (terminated): nothing to tear down', async () => {
    // Prepare
    ssm
      .on(SendCommandCommand)
      .rejects(new InvalidInstanceId({ message: 'Instances not in a valid state', $metadata: {} }));

    // Act / Assess
    await expect(bus().teardown(command)).resolves.toBeUndefined();
  });

  it('throws TransientError when SSM throttles, so the stream retries the cascade', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ssm.on(SendCommandCommand).rejects(throttled);

    // Act / Assess
    await expect(bus().teardown(command)).rejects.toBeInstanceOf(TransientError);
  });
});

describe('deleting what was published for a deleted gateway', () => {
  /** ListObjectsV2 answers `pages` in turn; every DeleteObjects input is kept. */
  function scriptS3(pages: string[][]) {
    const listed: ListObjectsV2CommandInput[] = [];
    const deleted: DeleteObjectsCommandInput[] = [];
    s3.on(ListObjectsV2Command).callsFake((input: ListObjectsV2CommandInput) => {
      listed.push(input);
      const index = input.ContinuationToken === undefined ? 0 : Number(input.ContinuationToken);
      const more = index + 1 < pages.length;
      return {
        Contents: (pages[index] ?? []).map((Key) => ({ Key })),
        IsTruncated: more,
        ...(more ? { NextContinuationToken: String(index + 1) } : {}),
      };
    });
    s3.on(DeleteObjectsCommand).callsFake((input: DeleteObjectsCommandInput) => {
      deleted.push(input);
      return {};
    });
    return { listed, deleted };
  }
  const keysOf = (deleted: DeleteObjectsCommandInput[]) =>
    deleted.map((input) => input.Delete?.Objects?.map((object) => object.Key));

  it('deletes the documents up to the generation, page by page, and nothing else under the prefix', async () => {
    // Prepare
    const { listed, deleted } = scriptS3([
      ['gateways/gw-a/000000000001.json', 'gateways/gw-a/000000000042.json'],
      ['gateways/gw-a/000000000043.json', 'gateways/gw-a/notes.txt'],
    ]);

    // Act
    await new S3ConfigStore(new S3Client(region), objectsAnswering('config-bucket').objects).deleteThrough(
      'gw-a',
      42,
    );

    // Assess
    expect(listed.map((input) => [input.Bucket, input.Prefix])).toEqual([
      ['config-bucket', 'gateways/gw-a/'],
      ['config-bucket', 'gateways/gw-a/'],
    ]);
    expect(keysOf(deleted)).toEqual([['gateways/gw-a/000000000001.json', 'gateways/gw-a/000000000042.json']]);
  });

  it.each([
    [
      'the instance secrets adapter',
      () => new S3InstanceSecrets(new S3Client(region), 'secrets-bucket', undefined),
    ],
    [
      'the cascade’s withdrawal alone (bucket from the environment)',
      () => {
        process.env.SECRETS_BUCKET = 'secrets-bucket';
        return secretCopiesWithdrawal();
      },
    ],
  ])(
    '%s withdraws every secret copy delivered for the gateway, and only its own',
    async (_adapter, build) => {
      // Prepare
      const copies = ['gateways/gw-a/secrets/vpc-peering/gateways/gw-a/private-key'];
      const { listed, deleted } = scriptS3([copies]);

      // Act
      await build().withdraw({ gatewayId: 'gw-a', instanceId: 'i-0abc' });

      // Assess
      expect(listed.map((input) => [input.Bucket, input.Prefix])).toEqual([
        ['secrets-bucket', 'gateways/gw-a/secrets/'],
      ]);
      expect(keysOf(deleted)).toEqual([copies]);
    },
  );

  it('fails when S3 could not delete an object, so the cascade is retried', async () => {
    // Prepare
    scriptS3([['gateways/gw-a/000000000001.json']]);
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: 'gateways/gw-a/000000000001.json', Code: 'InternalError' }],
    });

    // Act / Assess
    await expect(
      new S3ConfigStore(new S3Client(region), objectsAnswering('config-bucket').objects).deleteThrough(
        'gw-a',
        5,
      ),
    ).rejects.toThrow('InternalError');
  });
});
