/**
 * Whose clock a report is read by (core/status.ts): the instance's `now` for `online` and for when
 * the report was made (never later than it was handled), and the newer word, a push's or a
 * report's, for the generation `/status` shows.
 */
import {
  appliedPeerStatuses,
  ONLINE_WINDOW_SECONDS,
  parseInstanceReport,
  reportedGeneration,
  reportTime,
} from '../../../lambdas/core/status';

const HANDLED_AT = new Date('2026-11-25T00:02:30.000Z');
const HANDLED_SECONDS = HANDLED_AT.getTime() / 1000;

describe('parseInstanceReport: the instance clock', () => {
  const line = (now: unknown) =>
    JSON.stringify({ gatewayId: 'gw-a', appliedGeneration: 3, mode: 'files', now, peers: [] });

  it('keeps the clock a report carries', () => {
    // Act / Assess
    expect(parseInstanceReport(line(1_790_000_000))).toMatchObject({ now: 1_790_000_000 });
  });

  it.each([
    ['a negative number', -1],
    ['a fraction', 1.5],
    ['a string', '1790000000'],
    ['nothing (an older script)', undefined],
  ])('reads a report whose clock is %s as one without a clock', (_case, now) => {
    // Act
    const report = parseInstanceReport(line(now));

    // Assess
    expect(report).toMatchObject({ gatewayId: 'gw-a', appliedGeneration: 3 });
    expect(report).not.toHaveProperty('now');
  });
});

describe('reportTime', () => {
  it.each([
    [
      'the instance clock, for a report that waited in the queue',
      HANDLED_SECONDS - 150,
      '2026-11-25T00:00:00.000Z',
    ],
    [
      'the handling time, for a clock ahead of it (never a report newer than handled)',
      HANDLED_SECONDS + 60,
      HANDLED_AT.toISOString(),
    ],
    ['the handling time, for a clock no date can hold', Number.MAX_SAFE_INTEGER, HANDLED_AT.toISOString()],
    [
      'the handling time, for a report without a clock (an older script)',
      undefined,
      HANDLED_AT.toISOString(),
    ],
  ])('is %s', (_case, now, expected) => {
    // Act / Assess
    expect(reportTime(now, HANDLED_AT)).toBe(expected);
  });
});

describe('appliedPeerStatuses: online by the instance clock', () => {
  const ranAt = HANDLED_SECONDS - 150;
  const report = (handshake: number, instanceNow?: number) => ({
    peers: [
      { publicKey: 'k1', allowedIps: [], endpoint: null, latestHandshake: handshake, rxBytes: 1, txBytes: 2 },
    ],
    reportedAt: HANDLED_AT.toISOString(),
    ...(instanceNow === undefined ? {} : { instanceNow }),
  });

  it.each([
    ['a handshake 40 s before the instance ran the report, handled 150 s later', true, ranAt - 40, ranAt],
    [
      'a handshake older than the window on the instance clock',
      false,
      ranAt - ONLINE_WINDOW_SECONDS - 1,
      ranAt,
    ],
    ['a handshake within the window of an instance clock 10 minutes behind', true, ranAt - 640, ranAt - 600],
    [
      'a handshake 190 s before the handling time, without an instance clock',
      false,
      HANDLED_SECONDS - 190,
      undefined,
    ],
    [
      'a handshake 170 s before the handling time, without an instance clock',
      true,
      HANDLED_SECONDS - 170,
      undefined,
    ],
  ])('with %s, says online: %s', (_case, online, handshake, instanceNow) => {
    // Act
    const [peer] = appliedPeerStatuses(undefined, report(handshake, instanceNow), false);

    // Assess
    expect(peer?.online).toBe(online);
  });
});

describe('reportedGeneration', () => {
  const applied = (appliedGeneration: number, appliedAt: string) => ({ appliedGeneration, appliedAt });
  const report = (appliedGeneration: number, reportedAt: string) => ({ appliedGeneration, reportedAt });

  it.each([
    ['nothing yet', undefined, undefined, 0],
    ['a push only', applied(4, '2026-11-25T00:00:00.000Z'), undefined, 4],
    ['a report only', undefined, report(3, '2026-11-25T00:00:00.000Z'), 3],
    [
      'a report of an older generation made after the push (an instance that went back)',
      applied(4, '2026-11-25T00:00:00.000Z'),
      report(3, '2026-11-25T00:05:00.000Z'),
      3,
    ],
    [
      'a delta push applied after the last report',
      applied(5, '2026-11-25T00:06:00.000Z'),
      report(4, '2026-11-25T00:05:00.000Z'),
      5,
    ],
    [
      "a push's full report, at its own time",
      applied(5, '2026-11-25T00:06:00.000Z'),
      report(5, '2026-11-25T00:06:00.000Z'),
      5,
    ],
    [
      'a report of a generation the push record never reached (its poll lost), made later',
      applied(4, '2026-11-25T00:00:00.000Z'),
      report(5, '2026-11-25T00:05:00.000Z'),
      5,
    ],
  ])('with %s, is the newer word', (_case, pushed, reported, expected) => {
    // Act / Assess
    expect(reportedGeneration(pushed, reported)).toBe(expected);
  });
});
