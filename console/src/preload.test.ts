import { afterEach, describe, expect, test, vi } from 'vitest';
import { inAnHour, jwt } from './test-support/tokens';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
  sessionStorage.clear();
});

describe('preload', () => {
  test('a malformed address with a stored session still loads (the app then says: page not found)', async () => {
    // Prepare: a stored session, and an address no route decodes
    sessionStorage.setItem('vpc-peering-console.token', jwt({ sub: 'alice', exp: inAnHour() }));
    window.history.replaceState(null, '', '/gateways/%E0%A4%A');
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Response.json({ auth: 'token', apiUrl: '' })),
    );
    // Act
    const preload = await import('./preload');
    // Assess
    await expect(preload.configReady).resolves.toEqual({ auth: 'token', apiUrl: '' });
    expect(preload.takePreloadedGateways()).toBeUndefined();
  });

  test("the list's first page is read with the filters of the address; a user's owner is not sent", async () => {
    // Prepare: alice opens a link to carol's ERROR gateways
    sessionStorage.setItem('vpc-peering-console.token', jwt({ sub: 'alice', exp: inAnHour() }));
    window.history.replaceState(null, '', '/gateways?status=ERROR&ownerId=carol');
    const requested: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: Request | string) => {
        const url = typeof input === 'string' ? input : input.url;
        requested.push(url);
        return url.endsWith('/config.json')
          ? Response.json({ auth: 'token', apiUrl: 'http://api.test' })
          : Response.json({ items: [] });
      }),
    );
    // Act
    const preload = await import('./preload');
    // Assess
    await preload.takePreloadedGateways()?.promise;
    const list = new URL(requested.find((url) => url.includes('/v1/gateways')) ?? 'http://none');
    expect(list.searchParams.toString()).toBe('limit=20&status=ERROR');
    window.history.replaceState(null, '', '/');
  });
});
