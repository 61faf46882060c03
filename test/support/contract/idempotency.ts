/** The Repository contract (test/support/repository-contract.ts): idempotency keys. */
import { uniqueId } from '../records';
import { AT, type ContractContext } from './context';

export function idempotencyContract({ repo }: ContractContext): void {
  describe('idempotency keys', () => {
    it('claims a key once, then returns the first record with its completed response', async () => {
      // Prepare
      const key = `api#${uniqueId('key')}`;
      const record = { key, requestHash: 'h1', createdAt: AT };
      const response = { statusCode: 201, headers: { 'content-type': 'application/json' }, body: '{}' };

      // Act
      const claimed = await repo().claimIdempotencyKey(record);
      const pending = await repo().claimIdempotencyKey({ ...record, requestHash: 'h2' });
      await repo().completeIdempotencyKey(key, response);
      const replay = await repo().claimIdempotencyKey(record);

      // Assess
      expect(claimed).toBeUndefined();
      expect(pending).toEqual(record);
      expect(replay).toEqual({ ...record, response });
    });

    it('lets a key be claimed again once 24 hours have passed', async () => {
      // Prepare
      const key = `api#${uniqueId('key')}`;
      const now = new Date(AT);
      const dayAndASecondLater = new Date(now.getTime() + (24 * 60 * 60 + 2) * 1000);
      await repo(() => now).claimIdempotencyKey({ key, requestHash: 'h1', createdAt: AT });

      // Act
      const withinTheDay = await repo(() => new Date(now.getTime() + 60_000)).claimIdempotencyKey({
        key,
        requestHash: 'h2',
        createdAt: AT,
      });
      const after = await repo(() => dayAndASecondLater).claimIdempotencyKey({
        key,
        requestHash: 'h3',
        createdAt: dayAndASecondLater.toISOString(),
      });

      // Assess
      expect(withinTheDay?.requestHash).toBe('h1');
      expect(after).toBeUndefined();
    });

    it('lets one of two take-overs of a claim as read win, and forgets the old answer', async () => {
      // Prepare: a claim answered "retry later", read by two retries at once.
      const key = `api#${uniqueId('key')}`;
      const record = { key, requestHash: 'h1', createdAt: AT };
      await repo().claimIdempotencyKey(record);
      await repo().completeIdempotencyKey(key, { statusCode: 503, headers: {}, body: '{}' });
      const read = await repo().claimIdempotencyKey(record);
      // Both at the same instant: the take-over count, not the clock, tells them apart.
      const later = new Date(Date.parse(AT) + 5_000).toISOString();

      // Act
      const first = await repo().retakeIdempotencyKey(read as NonNullable<typeof read>, later);
      const second = await repo().retakeIdempotencyKey(read as NonNullable<typeof read>, later);
      const after = await repo().claimIdempotencyKey(record);

      // Assess
      expect([first, second]).toEqual([true, false]);
      expect(after).toEqual({ key, requestHash: 'h1', createdAt: later, takeovers: 1 });
    });

    it("keeps the first claim's nonce through take-overs, and a claim after expiry brings its own", async () => {
      // Prepare: the ids a keyed request mints derive from the nonce (app/api/ids.ts).
      const key = `api#${uniqueId('key')}`;
      const now = new Date(AT);
      const dayAndASecondLater = new Date(now.getTime() + (24 * 60 * 60 + 2) * 1000);
      await repo(() => now).claimIdempotencyKey({
        key,
        requestHash: 'h1',
        createdAt: AT,
        nonce: 'aaaaaaaaaaaaaaaa',
      });
      const read = await repo(() => now).claimIdempotencyKey({
        key,
        requestHash: 'h1',
        createdAt: AT,
        nonce: 'bbbbbbbbbbbbbbbb',
      });
      const later = new Date(now.getTime() + 120_000).toISOString();

      // Act
      const taken = await repo(() => now).retakeIdempotencyKey(read as NonNullable<typeof read>, later);
      const afterTakeover = await repo(() => now).claimIdempotencyKey({
        key,
        requestHash: 'h1',
        createdAt: later,
        nonce: 'cccccccccccccccc',
      });
      const claimedAgain = await repo(() => dayAndASecondLater).claimIdempotencyKey({
        key,
        requestHash: 'h1',
        createdAt: dayAndASecondLater.toISOString(),
        nonce: 'dddddddddddddddd',
      });
      const afterExpiry = await repo(() => dayAndASecondLater).claimIdempotencyKey({
        key,
        requestHash: 'h1',
        createdAt: AT,
      });

      // Assess
      expect(read?.nonce).toBe('aaaaaaaaaaaaaaaa');
      expect(taken).toBe(true);
      expect(afterTakeover).toEqual({
        key,
        requestHash: 'h1',
        createdAt: later,
        takeovers: 1,
        nonce: 'aaaaaaaaaaaaaaaa',
      });
      expect(claimedAgain).toBeUndefined();
      expect(afterExpiry?.nonce).toBe('dddddddddddddddd');
    });

    it('reads a record written without a nonce (before nonces) without one, also after a take-over', async () => {
      // Prepare
      const key = `api#${uniqueId('key')}`;
      const record = { key, requestHash: 'h1', createdAt: AT };
      await repo().claimIdempotencyKey(record);
      const read = await repo().claimIdempotencyKey({ ...record, nonce: 'eeeeeeeeeeeeeeee' });
      const later = new Date(Date.parse(AT) + 120_000).toISOString();

      // Act
      await repo().retakeIdempotencyKey(read as NonNullable<typeof read>, later);
      const after = await repo().claimIdempotencyKey({ ...record, nonce: 'ffffffffffffffff' });

      // Assess
      expect(read).not.toHaveProperty('nonce');
      expect(after).not.toHaveProperty('nonce');
      expect(after).toEqual({ ...record, createdAt: later, takeovers: 1 });
    });
  });
}
