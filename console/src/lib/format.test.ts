import { describe, expect, test } from 'vitest';
import { PEERING_PEER_PREFIX as CORE_PEERING_PEER_PREFIX } from '../../../lambdas/core/schemas';
import {
  configFileName,
  formatBytes,
  handshakeMillis,
  isOnline,
  liveness,
  notReportingLabel,
  PEERING_PEER_PREFIX,
  relativeTime,
  syncLabel,
  syncState,
} from './format';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const secondsAgo = (seconds: number) => Math.floor((NOW - seconds * 1000) / 1000);

describe('the online rule: a handshake within 3 minutes', () => {
  test.each([
    [secondsAgo(10), true],
    [secondsAgo(180), true],
    [secondsAgo(181), false],
    [0, false],
    [null, false],
    [new Date(NOW - 60_000).toISOString(), true],
    [new Date(NOW - 600_000).toISOString(), false],
    ['not a time', false],
  ])('handshake %j → online %s', (handshake, online) => {
    expect(isOnline(handshake, NOW)).toBe(online);
  });

  test("the API's own online flag wins over the rule", () => {
    expect(isOnline(secondsAgo(10), NOW, false)).toBe(false);
    expect(isOnline(0, NOW, true)).toBe(true);
  });

  test('epoch seconds and ISO times read the same', () => {
    expect(handshakeMillis(secondsAgo(30))).toBe(
      handshakeMillis(new Date(secondsAgo(30) * 1000).toISOString()),
    );
  });
});

describe('a stale report', () => {
  test('makes every peer unknown, whatever its handshake or the API said', () => {
    expect(liveness(secondsAgo(10), NOW, true, true)).toBe('unknown');
    expect(liveness(0, NOW, false, true)).toBe('unknown');
    expect(liveness(secondsAgo(10), NOW, true, false)).toBe('online');
    expect(liveness(secondsAgo(600), NOW, false, false)).toBe('offline');
  });

  test('is said with the date and time of the last report, or that there was none', () => {
    const at = '2026-11-22T09:15:00Z';
    expect(notReportingLabel(at)).toBe(`Not reporting since ${new Date(at).toLocaleString()}`);
    expect(notReportingLabel(null)).toBe('Not reported yet');
  });
});

describe('configuration sync', () => {
  test('applied at or past desired is In sync', () => {
    const state = syncState(4, 4, NOW, NOW);
    expect(state.kind).toBe('in-sync');
    expect(syncLabel(state)).toBe('In sync (generation 4)');
  });

  test('behind for less than a minute is Applying', () => {
    const state = syncState(3, 4, NOW - 30_000, NOW);
    expect(state.kind).toBe('applying');
    expect(syncLabel(state)).toMatch(/^Applying/);
  });

  test('behind for longer is Behind since the first time it was seen behind', () => {
    const since = NOW - 120_000;
    const state = syncState(3, 5, since, NOW);
    expect(state).toEqual({ kind: 'behind', applied: 3, desired: 5, since });
    expect(syncLabel(state)).toMatch(/^Behind since /);
  });
});

describe('formatting', () => {
  test.each([
    [NOW, 'just now'],
    [NOW - 42_000, '42 seconds ago'],
    [NOW - 60_000, '1 minute ago'],
    [NOW - 5 * 3600_000, '5 hours ago'],
    [NOW - 2 * 86_400_000, '2 days ago'],
    [NOW + 120_000, 'in 2 minutes'],
  ])('relative time of %d', (at, text) => {
    expect(relativeTime(at, NOW)).toBe(text);
  });

  test.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1536, '1.5 KiB'],
    [5 * 1024 * 1024, '5.0 MiB'],
    [-1, '-'],
    [Number.NaN, '-'],
  ])('%d bytes → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  test('a config downloads as <gateway-name>-<peer>.conf, safe for any file system', () => {
    expect(configFileName('prod-eu', 'laptop')).toBe('prod-eu-laptop.conf');
    expect(configFileName('Prod EU/1', 'laptop')).toBe('Prod-EU-1-laptop.conf');
  });
});

describe('peer names', () => {
  test("a vpc-peering peer's prefix is the one the control plane names them with", () => {
    // The console decides from it that deleting a peer deletes a peering (peer-modals.tsx): its
    // own copy keeps the core's schemas out of the bundle, so this test is what ties the two.
    expect(PEERING_PEER_PREFIX).toBe(CORE_PEERING_PEER_PREFIX);
  });
});
