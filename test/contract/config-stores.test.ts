/** The ConfigStore pruning contract on the S3 store, the file store and the in-memory fake. */
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileConfigStore } from '../../lambdas/adapters/local/file-config-store';
import { S3ConfigStore } from '../../lambdas/adapters/s3';
import { configStoreContract } from '../support/config-store-contract';
import { MemoryPublications } from '../support/fakes';
import { objectsInMemory } from '../support/s3-fetch';

process.env.GATEWAY_INSTANCE_ARN_PREFIX ??= 'arn:aws:ec2:eu-west-1:111122223333:instance/';

describe('S3ConfigStore', () => {
  configStoreContract(async () => {
    let now = new Date();
    const store = new S3ConfigStore(objectsInMemory('config-bucket', () => now));
    return {
      store,
      publishAt: async (target, generation, document, at) => {
        now = at;
        await store.put(target, generation, document);
      },
    };
  });
});

describe('FileConfigStore', () => {
  const roots: string[] = [];
  afterAll(() => Promise.all(roots.map((root) => rm(root, { recursive: true, force: true }))));

  configStoreContract(async () => {
    const root = await mkdtemp(join(tmpdir(), 'config-store-'));
    roots.push(root);
    const store = new FileConfigStore(root);
    return {
      store,
      publishAt: async (target, generation, document, at) => {
        const { uri } = await store.put(target, generation, document);
        await utimes(fileURLToPath(uri), at, at);
      },
    };
  });
});

describe('MemoryPublications', () => {
  configStoreContract(async () => {
    let now = new Date();
    const store = new MemoryPublications(() => now);
    return {
      store,
      publishAt: async (target, generation, document, at) => {
        now = at;
        await store.put(target, generation, document);
      },
    };
  });
});
