/**
 * Serves the built console (console/dist) at `/` of the embedded runtime, same origin as the API,
 * as CloudFront serves it on AWS: files by path, `index.html` for every other page path (the console
 * routes in the browser), and a `config.json` that tells the console to take pasted tokens.
 */
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

export const CONSOLE_DIST = resolve(__dirname, '../console/dist');

/**
 * Paths the HTTP front answers itself or hands to the API; everything else is the console's. By
 * the first non-empty segment: `//v1//gateways//gw1` is the API's route as `/v1/gateways/gw1` is.
 */
export const isConsolePath = (pathname: string): boolean => {
  const [first = ''] = pathname.split('/').filter((segment) => segment.length > 0);
  return !['v1', 'health', 'local'].includes(first);
};

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/**
 * The console's Content-Security-Policy, here and on CloudFront (lib/constructs/console-hosting.ts):
 * scripts only from its own origin (bearer tokens sit in sessionStorage), Cloudscape's inline
 * styles and data: fonts, the QR code's data: image, no framing, and fetches only to its own origin
 * and `connectSources` (the API and Cognito on AWS).
 */
export function consoleContentSecurityPolicy(connectSources: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    ["connect-src 'self'", ...connectSources].join(' '),
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/** The local console's runtime configuration: same-origin API (so connect-src 'self'), pasted tokens. */
const LOCAL_CONFIG = JSON.stringify({ auth: 'token', apiUrl: '' });

const SECURITY_HEADERS = {
  'content-security-policy': consoleContentSecurityPolicy(),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

async function fileIn(root: string, pathname: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const path = normalize(join(root, decoded));
  if (path !== root && !path.startsWith(root + sep)) return undefined; // no way out of dist
  const info = await stat(path).catch(() => undefined);
  return info?.isFile() ? path : undefined;
}

export async function serveConsole(
  method: string,
  pathname: string,
  response: ServerResponse,
  root = CONSOLE_DIST,
): Promise<void> {
  const send = (status: number, type: string, body: Buffer | string, cache: string) => {
    response.writeHead(status, {
      ...SECURITY_HEADERS,
      'content-type': type,
      'cache-control': cache,
      'content-length': Buffer.byteLength(body),
    });
    response.end(method === 'HEAD' ? undefined : body);
  };
  // Errors keep the API's envelope ({"error": {code, message}}) on every path of this server.
  const sendError = (status: number, code: string, message: string) =>
    send(status, 'application/json', JSON.stringify({ error: { code, message } }), 'no-store');
  if (method !== 'GET' && method !== 'HEAD') {
    return sendError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on console pages (GET, HEAD)`);
  }
  if (pathname === '/config.json') return send(200, 'application/json', LOCAL_CONFIG, 'no-store');
  const file = await fileIn(root, pathname);
  if (file) {
    // Vite names every asset by its content: cache those for good, never the page itself.
    const cache = pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    return send(200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file), cache);
  }
  if (pathname.startsWith('/assets/')) return sendError(404, 'NOT_FOUND', `No console asset at ${pathname}`);
  const index = await readFile(join(root, 'index.html')).catch(() => undefined);
  if (!index) {
    return sendError(
      503,
      'CONSOLE_NOT_BUILT',
      'The console is not built: run `npm run console:build` (npm start and npm test do it)',
    );
  }
  return send(200, 'text/html; charset=utf-8', index, 'no-cache');
}
