import { afterEach, describe, expect, test, vi } from 'vitest';
import { ConfigUnavailableError, loadConfig } from './config';

afterEach(() => vi.unstubAllGlobals());

const answering = (response: () => Promise<Response>) => vi.stubGlobal('fetch', vi.fn(response));

describe('loadConfig', () => {
  test('reads the configuration the deployment wrote', async () => {
    // Prepare
    answering(async () => Response.json({ auth: 'token', apiUrl: '' }));
    // Act / Assess
    await expect(loadConfig()).resolves.toEqual({ auth: 'token', apiUrl: '' });
  });

  test.each([
    ['an HTTP error', async () => new Response('gone', { status: 503 }), /HTTP 503/],
    ['no answer', async () => Promise.reject(new TypeError('Failed to fetch')), /Failed to fetch/],
    ['no JSON', async () => new Response('<html>', { status: 200 }), /not JSON/],
    ['no sign-in mode', async () => Response.json({ apiUrl: '' }), /names no sign-in mode/],
  ])('never falls back to pasted tokens: %s fails the start', async (_case, response, reason) => {
    // Prepare
    answering(response);
    // Act
    const loading = loadConfig();
    // Assess
    await expect(loading).rejects.toThrow(ConfigUnavailableError);
    await expect(loading).rejects.toThrow(reason);
  });
});
