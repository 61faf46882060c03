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
});
