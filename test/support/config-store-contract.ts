/**
 * What every ConfigStore must do when it prunes (lambdas/app/ports.ts, `pruneBelow`): the S3 store
 * (over a bucket held in memory), the embedded runtime's file store and the tests' in-memory fake
 * run the same cases (test/contract/config-stores.test.ts).
 */
import { DOCUMENT_PRUNE_BATCH } from '../../lambdas/adapters/s3/documents';
import type { ConfigStore, InstanceTarget } from '../../lambdas/app/ports';

export interface ConfigStoreUnderTest {
  store: ConfigStore;
  /** Publishes as `put` does, the document last written at `at`. */
  publishAt(target: InstanceTarget, generation: number, document: string, at: Date): Promise<void>;
}

const GATEWAY = { gatewayId: 'gw-a', instanceId: 'i-0a' };
/** Its id starts with the other's: its documents are never the other's. */
const SIBLING = { gatewayId: 'gw-ab', instanceId: 'i-0ab' };
const WRITTEN_BEFORE = new Date('2026-12-05T11:00:00.000Z');
const OLD = new Date('2026-12-05T10:00:00.000Z');
const YOUNG = new Date('2026-12-05T11:30:00.000Z');
const documentOf = (generation: number) => `{"generation":${generation}}\n`;

export function configStoreContract(make: () => Promise<ConfigStoreUnderTest>): void {
  it('prunes the documents below the generation that were written before the bound, and no other', async () => {
    // Prepare: 1 and 2 old, 3 young (a push still in flight), 4 applied, 5 above it (not applied).
    const { store, publishAt } = await make();
    for (const [generation, at] of [
      [1, OLD],
      [2, OLD],
      [3, YOUNG],
      [4, OLD],
      [5, OLD],
    ] as const)
      await publishAt(GATEWAY, generation, documentOf(generation), at);
    await publishAt(SIBLING, 1, documentOf(1), OLD);

    // Act
    const deleted = await store.pruneBelow(GATEWAY.gatewayId, 4, WRITTEN_BEFORE);
    const again = await store.pruneBelow(GATEWAY.gatewayId, 4, WRITTEN_BEFORE);

    // Assess
    expect({ deleted, again }).toEqual({ deleted: 2, again: 0 });
    const kept = await Promise.all(
      [1, 2, 3, 4, 5].map((generation) => store.get(GATEWAY.gatewayId, generation)),
    );
    expect(kept).toEqual([undefined, undefined, documentOf(3), documentOf(4), documentOf(5)]);
    expect(await store.get(SIBLING.gatewayId, 1)).toBe(documentOf(1));
  });

  it('looks at the lowest DOCUMENT_PRUNE_BATCH documents only: the next prune takes the rest', async () => {
    // Prepare: a backlog one batch and two documents long, every one of them old.
    const { store, publishAt } = await make();
    const backlog = DOCUMENT_PRUNE_BATCH + 2;
    for (let generation = 1; generation <= backlog; generation++)
      await publishAt(GATEWAY, generation, documentOf(generation), OLD);

    // Act
    const first = await store.pruneBelow(GATEWAY.gatewayId, backlog + 1, WRITTEN_BEFORE);
    const second = await store.pruneBelow(GATEWAY.gatewayId, backlog + 1, WRITTEN_BEFORE);

    // Assess
    expect({ first, second }).toEqual({ first: DOCUMENT_PRUNE_BATCH, second: 2 });
    expect(await store.get(GATEWAY.gatewayId, backlog)).toBeUndefined();
  });

  it('prunes nothing of a gateway that has no documents', async () => {
    // Prepare
    const { store } = await make();

    // Act / Assess
    await expect(store.pruneBelow('gw-none', 10, WRITTEN_BEFORE)).resolves.toBe(0);
  });
}
