import type { EventBridgeEvent } from 'aws-lambda';
import { ValidationError } from '../../lambdas/core/errors';
import { GATEWAY_DELETED, GATEWAY_UPDATED, gatewayEventsPattern } from '../../lambdas/shared/event-patterns';
import { createEventRouter } from '../../runtime/event-router';

type Event = EventBridgeEvent<string, unknown>;

function recordingRouter(handler: (event: Event) => Promise<unknown> = async () => undefined) {
  const delivered: Event[] = [];
  const router = createEventRouter(
    [
      {
        pattern: gatewayEventsPattern,
        handler: async (event) => {
          delivered.push(event);
          return handler(event);
        },
      },
    ],
    { retryDelayMs: 1 },
  );
  return { router, delivered };
}

const entry = (Source: string, DetailType: string, detail: unknown = { gatewayId: 'gw-a' }) => ({
  Source,
  DetailType,
  Detail: JSON.stringify(detail),
});

describe('event router', () => {
  it('delivers vpn.gateways Deleted and Updated events as EventBridge builds them', async () => {
    // Prepare
    const { router, delivered } = recordingRouter();

    // Act
    const result = await router.putEvents({
      Entries: [
        entry('vpn.gateways', GATEWAY_DELETED),
        entry('vpn.gateways', GATEWAY_UPDATED, { id: 'gw-b' }),
      ],
    });

    // Assess
    expect(result.FailedEntryCount).toBe(0);
    expect(delivered.map((e) => [e.source, e['detail-type'], e.detail])).toEqual([
      ['vpn.gateways', GATEWAY_DELETED, { gatewayId: 'gw-a' }],
      ['vpn.gateways', GATEWAY_UPDATED, { id: 'gw-b' }],
    ]);
    expect(delivered[0]).toMatchObject({
      version: '0',
      account: '000000000000',
      region: 'us-east-1',
      resources: [],
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    expect(result.Entries).toEqual(delivered.map((e) => ({ EventId: e.id })));
  });

  it('accepts but routes nowhere events of another source or detail-type', async () => {
    // Prepare
    const { router, delivered } = recordingRouter();

    // Act
    const result = await router.putEvents({
      Entries: [entry('vpc.peering', GATEWAY_DELETED), entry('vpn.gateways', 'VPN Gateway Created')],
    });

    // Assess
    expect(delivered).toEqual([]);
    expect(result.FailedEntryCount).toBe(0);
    expect(result.Entries).toEqual([{ EventId: expect.any(String) }, { EventId: expect.any(String) }]);
  });

  const detail = (Detail: unknown) => ({
    Entries: [{ Source: 'vpn.gateways', DetailType: GATEWAY_DELETED, Detail }],
  });
  it.each([
    { field: 'body', why: 'not an object', body: 'nope' },
    { field: 'Entries', why: 'missing', body: {} },
    { field: 'Entries', why: 'empty', body: { Entries: [] } },
    {
      field: 'Entries',
      why: 'over 10 entries',
      body: { Entries: Array.from({ length: 11 }, () => detail('{}').Entries[0]) },
    },
    {
      field: 'Entries[0].Source',
      why: 'missing',
      body: { Entries: [{ DetailType: GATEWAY_DELETED, Detail: '{}' }] },
    },
    { field: 'Entries[0].Detail', why: 'not JSON', body: detail('{') },
    { field: 'Entries[0].Detail', why: 'an object, not a string', body: detail({}) },
    { field: 'Entries[0].Detail', why: 'a JSON array', body: detail('[]') },
  ])('rejects $field $why with a ValidationError naming it', async ({ field, body }) => {
    // Prepare
    const { router, delivered } = recordingRouter();

    // Act
    const outcome = router.putEvents(body);

    // Assess
    await expect(outcome).rejects.toThrow(ValidationError);
    await expect(outcome).rejects.toThrow(`${field}: `);
    expect(delivered).toEqual([]);
  });

  it('delivers nothing when any entry is malformed, even the valid ones before it', async () => {
    // Prepare
    const { router, delivered } = recordingRouter();
    const malformed = { Source: 'vpn.gateways', DetailType: GATEWAY_DELETED, Detail: 'not json' };

    // Act
    const outcome = router.putEvents({ Entries: [entry('vpn.gateways', GATEWAY_DELETED), malformed] });

    // Assess
    await expect(outcome).rejects.toThrow('Entries[1].Detail: ');
    expect(delivered).toEqual([]);
  });

  it('retries a failing handler and counts the entry failed when every attempt fails', async () => {
    // Prepare
    const { router, delivered } = recordingRouter(async (event) => {
      if ((event.detail as { gatewayId: string }).gatewayId === 'gw-bad') throw new Error('boom');
    });

    // Act
    const result = await router.putEvents({
      Entries: [
        entry('vpn.gateways', GATEWAY_DELETED, { gatewayId: 'gw-bad' }),
        entry('vpn.gateways', GATEWAY_DELETED, { gatewayId: 'gw-good' }),
      ],
    });

    // Assess
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries).toEqual([
      { ErrorCode: 'InternalFailure', ErrorMessage: 'boom' },
      { EventId: expect.any(String) },
    ]);
    const attempts = delivered.map((e) => (e.detail as { gatewayId: string }).gatewayId);
    expect(attempts).toEqual(['gw-bad', 'gw-bad', 'gw-bad', 'gw-good']);
    // Every retry is the same event (same id), as EventBridge redelivers it.
    expect(new Set(delivered.slice(0, 3).map((e) => e.id)).size).toBe(1);
  });

  it('succeeds when a retry succeeds', async () => {
    // Prepare
    let calls = 0;
    const { router } = recordingRouter(async () => {
      calls++;
      if (calls === 1) throw new Error('transient');
    });

    // Act
    const result = await router.putEvents({ Entries: [entry('vpn.gateways', GATEWAY_DELETED)] });

    // Assess
    expect(result).toEqual({ FailedEntryCount: 0, Entries: [{ EventId: expect.any(String) }] });
    expect(calls).toBe(2);
  });
});
