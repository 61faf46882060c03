/**
 * Serves the built console (console/dist) at `/` of the embedded runtime, same origin as the API,
 * as CloudFront serves it on AWS: files by path, `index.html` for every other page path (the console
 * routes in the browser), and a `config.json` that tells the console to take pasted tokens.
 */
import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

export const CONSOLE_DIST = resolve(__dirname, '../console/dist');

/** Paths the HTTP front answers itself or hands to the API; everything else is the console's. */
export const isConsolePath = (pathname: string): boolean => !/^\/(v1|health|local)(\/|$)/.test(pathname);

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

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** The local console's runtime configuration: same-origin API, pasted tokens. */
const LOCAL_CONFIG = JSON.stringify({ auth: 'token', apiUrl: '' });

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
  if (method !== 'GET' && method !== 'HEAD') {
    return send(405, 'text/plain; charset=utf-8', 'Method not allowed', 'no-store');
  }
  if (pathname === '/config.json') return send(200, 'application/json', LOCAL_CONFIG, 'no-store');
  const file = await fileIn(root, pathname);
  if (file) {
    // Vite names every asset by its content: cache those for good, never the page itself.
    const cache = pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    return send(200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file), cache);
  }
  if (pathname.startsWith('/assets/')) return send(404, 'text/plain; charset=utf-8', 'Not found', 'no-store');
  const index = await readFile(join(root, 'index.html')).catch(() => undefined);
  if (!index) {
    return send(
      503,
      'text/plain; charset=utf-8',
      'The console is not built: run `npm run console:build` (npm start and npm test do it).\n',
      'no-store',
    );
  }
  return send(200, 'text/html; charset=utf-8', index, 'no-cache');
}
