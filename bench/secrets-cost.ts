/**
 * Section 11: what a secret costs, stored as an SSE-KMS object (lambdas/adapters/s3/secret-store.ts,
 * secrets.ts) against Parameter Store's Standard and Advanced tiers (docs/DECISIONS.md "Tenant
 * isolation at the gateway instance"). The requests are counted, not assumed: the real adapters run
 * against a stubbed fetch (the secret store signs its own PUT and GET) and a mocked S3 client (the
 * copies) that record every call, and each S3 request of an SSE-KMS object is priced with the KMS
 * request S3 makes for it (GenerateDataKey to write, Decrypt to read, both to copy).
 * Prices: us-east-1 list prices, written beside each line.
 */
import { CopyObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { S3SecretStore } from '../lambdas/adapters/s3/secret-store';
import { S3InstanceSecrets } from '../lambdas/adapters/s3/secrets';
import { S3HttpObjects } from '../lambdas/adapters/signed-s3/http-objects';
import type { Metric, SectionResult } from './harness';

/** USD, us-east-1 list prices. */
const PRICES = {
  s3Put: 0.005 / 1_000,
  s3Get: 0.0004 / 1_000,
  kmsRequest: 0.03 / 10_000,
  s3StorageGbMonth: 0.023,
  parameterAdvancedMonth: 0.05,
  /** Higher-throughput or Advanced API interactions; Standard throughput is free. */
  parameterInteraction: 0.05 / 10_000,
} as const;

const STANDARD_PARAMETER_LIMIT = 10_000;
const ADVANCED_PARAMETER_LIMIT = 100_000;
/** A WireGuard key (44 bytes) plus S3's per-object metadata overhead, rounded up. */
const OBJECT_BYTES = 8 * 1024;
const PEERINGS = [1, 10];

type Counts = { puts: number; gets: number; copies: number };

function recordingS3(): { client: S3Client; objects: S3HttpObjects; counts: Counts } {
  const client = new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const mock = mockClient(client);
  const counts: Counts = { puts: 0, gets: 0, copies: 0 };
  mock.on(CopyObjectCommand).callsFake(() => {
    counts.copies++;
    return {};
  });
  const recordingFetch = async (_url: string | URL | Request, init?: RequestInit) => {
    if (init?.method === 'PUT') counts.puts++;
    if (init?.method === 'GET') counts.gets++;
    return new Response(init?.method === 'GET' ? 'k'.repeat(44) : null);
  };
  const objects = new S3HttpObjects(
    'secrets',
    'us-east-1',
    () => ({ accessKeyId: 'x', secretAccessKey: 'x' }),
    {
      fetch: recordingFetch as typeof fetch,
    },
  );
  return { client, objects, counts };
}

/** USD as µUSD with `digits` decimals. */
const micro = (usd: number, digits: number) => Number((usd * 1e6).toFixed(digits));

/** USD of the counted requests: every S3 request on an SSE-KMS object makes its KMS requests. */
const priceOf = (c: Counts) =>
  c.puts * (PRICES.s3Put + PRICES.kmsRequest) +
  c.gets * (PRICES.s3Get + PRICES.kmsRequest) +
  c.copies * (PRICES.s3Put + 2 * PRICES.kmsRequest);

export async function benchSecretsCost(): Promise<SectionResult> {
  process.env.GATEWAY_INSTANCE_ARN_PREFIX = 'arn:aws:ec2:us-east-1:123456789012:instance/';
  const write = recordingS3();
  await new S3SecretStore(write.objects, 'key').putIfAbsent('/vpc-peering/peerings/p/psk', 'k');
  const read = recordingS3();
  await new S3SecretStore(read.objects, 'key').get('/vpc-peering/peerings/p/psk');
  const pushes = await Promise.all(
    PEERINGS.map(async (peerings) => {
      const push = recordingS3();
      const names = [
        '/vpc-peering/gateways/gw-a/private-key',
        ...Array.from({ length: peerings }, (_, i) => `/vpc-peering/peerings/p${i}/psk`),
      ];
      await new S3InstanceSecrets(push.client, push.objects, 'key').deliver(
        { gatewayId: 'gw-a', instanceId: 'i-a' },
        names,
      );
      // The instance then fetches each copy once (its cache keeps it for VPG_SECRET_CACHE_SECONDS).
      return { peerings, counts: { ...push.counts, gets: push.counts.gets + names.length } };
    }),
  );
  const storageMonth = (OBJECT_BYTES / 1024 ** 3) * PRICES.s3StorageGbMonth;
  const metrics: Metric[] = [
    {
      metric: 'store one secret (S3 PUT + KMS GenerateDataKey)',
      value: micro(priceOf(write.counts), 2),
      unit: 'µUSD',
      baseline: `Standard 0, Advanced ${micro(PRICES.parameterInteraction, 2)} µUSD`,
      lowerIsBetter: true,
    },
    {
      metric: 'read one secret (S3 GET + KMS Decrypt)',
      value: micro(priceOf(read.counts), 2),
      unit: 'µUSD',
      baseline: `Standard ${micro(PRICES.kmsRequest, 2)} (KMS Decrypt only), Advanced ${micro(PRICES.kmsRequest + PRICES.parameterInteraction, 2)} µUSD`,
      lowerIsBetter: true,
    },
    {
      metric: 'keep one secret a month',
      value: micro(storageMonth, 4),
      unit: 'µUSD',
      baseline: `Standard 0 (at most ${STANDARD_PARAMETER_LIMIT.toLocaleString('en-US')}), Advanced ${micro(PRICES.parameterAdvancedMonth, 0)} µUSD (at most ${ADVANCED_PARAMETER_LIMIT.toLocaleString('en-US')})`,
      lowerIsBetter: true,
    },
    ...pushes.map(
      ({ peerings, counts }): Metric => ({
        metric: `secrets of one push, ${peerings} peering(s) (copies + first fetch by the instance)`,
        value: micro(priceOf(counts), 2),
        unit: 'µUSD',
        baseline: `Standard ${micro((1 + peerings) * PRICES.kmsRequest, 2)} µUSD (first fetch only)`,
        lowerIsBetter: true,
      }),
    ),
    {
      metric: 'secrets an account can hold',
      value: 'no count limit (S3)',
      baseline: `Standard ${STANDARD_PARAMETER_LIMIT}`,
    },
  ];
  return {
    metrics,
    details: {
      counted: { write: write.counts, read: read.counts, pushes },
      prices: PRICES,
    },
    notes: [
      'Requests counted from the real adapters on a recording S3 client and fetch; KMS requests are the ones S3 makes for SSE-KMS without a bucket key.',
      'A push copies 1 + peerings secrets (road-warriors have none); the instance fetches a copy again only when its cache entry is older than VPG_SECRET_CACHE_SECONDS.',
    ],
  };
}
