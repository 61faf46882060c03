/**
 * The built console served alone (runtime/console-static.ts), with a Chromium: for suites that
 * answer the API themselves through the browser's routing. Started before the suite, closed after;
 * each test's pages (`open`) are closed after it, once it is checked that none logged a browser
 * console error but the HTTP statuses the test expects (ConsoleSession.expectStatus).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { serveConsole } from '../../../runtime/console-static';
import { launchChromium } from '../../../tooling/chromium';
import { assertConsoleBuilt, ConsoleSession } from './session';

export interface ServedConsole {
  readonly browser: Browser;
  readonly baseUrl: string;
  /** A new page of the console, its screenshots named after `name`. */
  open(name: string): Promise<ConsoleSession>;
}

export function useServedConsole(): ServedConsole {
  let browser: Browser | undefined;
  let server: Server | undefined;
  let baseUrl: string | undefined;
  beforeAll(async () => {
    assertConsoleBuilt();
    browser = await launchChromium();
    const listening = createServer((request, response) => {
      const { pathname } = new URL(request.url ?? '/', 'http://localhost');
      serveConsole(request.method ?? 'GET', pathname, response).catch(() => response.destroy());
    });
    server = listening;
    await new Promise<void>((ready) => listening.listen(0, '127.0.0.1', ready));
    baseUrl = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  }, 60_000);
  const sessions: ConsoleSession[] = [];
  afterEach(async () => {
    for (const session of sessions.splice(0)) {
      expect(session.errors).toEqual([]);
      await session.close();
    }
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((closed) => (server ? server.close(() => closed()) : closed()));
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the served console is used before its beforeAll ran');
    return value;
  };
  return {
    get browser() {
      return started(browser);
    },
    get baseUrl() {
      return started(baseUrl);
    },
    async open(name) {
      const session = await ConsoleSession.open(started(browser), started(baseUrl), name);
      sessions.push(session);
      return session;
    },
  };
}

/** Carol's gateway "edge", as the API answers it, for suites that answer the API themselves. */
export function carolsGateway(id: string) {
  return {
    id,
    name: 'edge',
    ownerId: 'carol',
    vpcId: 'vpc-carol',
    vpcCidr: '10.0.0.0/16',
    tunnelSubnet: '100.127.0.0/24',
    tunnelIp: '100.127.0.1',
    publicIp: '198.51.100.250',
    listenPort: 51820,
    publicKey: 'key-edge',
    instanceId: 'i-carol',
    status: 'ACTIVE',
  };
}
