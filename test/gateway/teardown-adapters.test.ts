/**
 * The AWS side of a deleted gateway's teardown on mocked clients: the teardown command through SSM
 * Run Command (a terminated instance, or one the role may not command, is "nothing to tear down";
 * throttling is retried), and the deletion of its documents and delivered secret copies in S3.
 */
import { S3Client } from '@aws-sdk/client-s3';
import {
  InvalidInstanceId,
  SendCommandCommand,
  type SendCommandCommandInput,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { S3ConfigStore } from '../../lambdas/adapters/s3';
import { secretCopiesWithdrawal } from '../../lambdas/adapters/s3/secret-copies-withdrawal';
import { S3InstanceSecrets } from '../../lambdas/adapters/s3/secrets';
import { SsmCommandBus } from '../../lambdas/adapters/ssm';
import { TransientError } from '../../lambdas/core/errors';
import { logger } from '../../lambdas/shared/logger';
import {
  type Answer,
  deleteResult,
  fetchAnswering,
  keysToDelete,
  listing,
  OBJECTS_REGION,
  objectsAnswering,
  type RecordedRequest,
} from '../support/s3-fetch';

const ssm = mockClient(SSMClient);
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
});

afterAll(() => {
  ssm.restore();
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
        DocumentVersion: '$LATEST',
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

  it('answers undefined for an instance the role may not command (no gateway tag), and names it in a warning', async () => {
    // Prepare: IAM's refusal of SendCommand, the instance lacking the tag `ssm:resourceTag` requires.
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const denied = Object.assign(new Error('not authorized to perform: ssm:SendCommand on i-0abc'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    ssm.on(SendCommandCommand).rejects(denied);

    // Act
    const commandId = await bus().teardown(command);

    // Assess
    expect(commandId).toBeUndefined();
    expect(warn).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({ instanceId: 'i-0abc', gatewayId: 'gw-a' }),
    );
    warn.mockRestore();
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
  const LIST_URL = `https://config-bucket.s3.${OBJECTS_REGION}.amazonaws.com/?list-type=2&prefix=gateways%2Fgw-a%2F`;
  const DELETE_URL = `https://config-bucket.s3.${OBJECTS_REGION}.amazonaws.com/?delete=`;
  const configStoreAnswering = (answers: Answer[]) => {
    const { objects, requests } = objectsAnswering('config-bucket', answers);
    return { store: new S3ConfigStore(objects), requests };
  };

  it('deletes the documents up to the generation, page by page, and nothing else under the prefix', async () => {
    // Prepare
    const { store, requests } = configStoreAnswering([
      listing(['gateways/gw-a/000000000001.json', 'gateways/gw-a/000000000042.json'], 'page/2+='),
      deleteResult(),
      listing(['gateways/gw-a/000000000043.json', 'gateways/gw-a/notes.txt']),
    ]);

    // Act
    await store.deleteThrough('gw-a', 42);

    // Assess
    expect(requests.map((request) => [request.method, request.url])).toEqual([
      ['GET', LIST_URL],
      ['POST', DELETE_URL],
      ['GET', `${LIST_URL.replace('?', '?continuation-token=page%2F2%2B%3D&')}`],
    ]);
    expect(keysToDelete(requests[1] as RecordedRequest)).toEqual([
      'gateways/gw-a/000000000001.json',
      'gateways/gw-a/000000000042.json',
    ]);
  });

  describe('withdrawing the secret copies', () => {
    const saved = { ...process.env };
    afterEach(() => {
      process.env = { ...saved };
      jest.restoreAllMocks();
    });
    const copies = ['gateways/gw-a/secrets/vpc-peering/gateways/gw-a/private-key'];

    it.each([
      [
        'the instance secrets adapter',
        () => {
          const { objects, requests } = objectsAnswering('secrets-bucket', [listing(copies), deleteResult()]);
          return { adapter: new S3InstanceSecrets(new S3Client(region), objects, undefined), requests };
        },
      ],
      [
        'the cascade’s withdrawal alone (bucket, region and credentials from the environment)',
        () => {
          Object.assign(process.env, {
            SECRETS_BUCKET: 'secrets-bucket',
            AWS_REGION: OBJECTS_REGION,
            AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
            AWS_SECRET_ACCESS_KEY: 'secret',
          });
          delete process.env.AWS_ENDPOINT_URL_S3;
          delete process.env.AWS_ENDPOINT_URL;
          const { fetch, requests } = fetchAnswering([listing(copies), deleteResult()]);
          jest.spyOn(globalThis, 'fetch').mockImplementation(fetch);
          return { adapter: secretCopiesWithdrawal(), requests };
        },
      ],
    ])(
      '%s withdraws every secret copy delivered for the gateway, and only its own',
      async (_adapter, build) => {
        // Prepare
        const { adapter, requests } = build();

        // Act
        await adapter.withdraw({ gatewayId: 'gw-a', instanceId: 'i-0abc' });

        // Assess
        expect(requests.map((request) => [request.method, request.url])).toEqual([
          [
            'GET',
            `https://secrets-bucket.s3.${OBJECTS_REGION}.amazonaws.com/?list-type=2&prefix=gateways%2Fgw-a%2Fsecrets%2F`,
          ],
          ['POST', `https://secrets-bucket.s3.${OBJECTS_REGION}.amazonaws.com/?delete=`],
        ]);
        expect(keysToDelete(requests[1] as RecordedRequest)).toEqual(copies);
      },
    );
  });

  it('fails when S3 could not delete an object, so the cascade is retried', async () => {
    // Prepare
    const { store } = configStoreAnswering([
      listing(['gateways/gw-a/000000000001.json']),
      deleteResult([{ key: 'gateways/gw-a/000000000001.json', code: 'InternalError' }]),
    ]);

    // Act / Assess
    await expect(store.deleteThrough('gw-a', 5)).rejects.toThrow(
      'S3 DeleteObjects of gateways/gw-a/000000000001.json: InternalError',
    );
  });
});
