/**
 * The embedded runtime's console pages (runtime/console-static.ts) on a server of their own over a
 * stand-in dist: the Content-Security-Policy and framing headers, the same as CloudFront sends
 * (lib/constructs/console-hosting.ts) but with the same-origin API of the local config.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveConsole } from '../../runtime/console-static';

let dist: string;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'console-static-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dist, 'assets', 'index-abc.js'), 'export {};');
  server = createServer((request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    serveConsole(request.method ?? 'GET', pathname, response, dist).catch(() => response.destroy());
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((closed) => server.close(closed));
  rmSync(dist, { recursive: true, force: true });
});

/** The policy's directives by name, e.g. `{ 'connect-src': ["'self'"] }`. */
function directives(policy: string | null): Record<string, string[]> {
  return Object.fromEntries(
    (policy ?? '')
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources]),
  );
}

describe('console pages of the embedded runtime', () => {
  test.each(['/', '/gateways/gw-a', '/assets/index-abc.js', '/config.json', '/assets/missing.js'])(
    '%s carries the console CSP, framing denied',
    async (path) => {
      // Act
      const response = await fetch(`${baseUrl}${path}`);

      // Assess
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(directives(response.headers.get('content-security-policy'))).toEqual({
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'", 'data:'],
        'connect-src': ["'self'"],
        'object-src': ["'none'"],
        'frame-ancestors': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
      });
    },
  );
});
