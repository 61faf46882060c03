/**
 * One browser page of the console under test: sign-in, axe-core checks (no serious or critical
 * violation), console errors collected (none allowed but the HTTP statuses a test expects), and a
 * screenshot per step under test-output/console (gitignored).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';

export const OUTPUT_DIR = resolve(__dirname, '../../../test-output/console');
export const CONSOLE_DIST = resolve(__dirname, '../../../console/dist/index.html');
const AXE_SOURCE = require.resolve('axe-core/axe.min.js');

export function assertConsoleBuilt(): void {
  if (!existsSync(CONSOLE_DIST)) {
    throw new Error(`${CONSOLE_DIST} is missing: run npm run console:build (npm test runs it)`);
  }
}

/** Everything a page keeps in its Web Storage: sessionStorage and localStorage, key to value. */
export function webStorageOf(
  page: Page,
): Promise<{ session: Record<string, string>; local: Record<string, string> }> {
  return page.evaluate(() => {
    // The browser's globals (this project's tsconfig has no DOM library).
    type Store = { length: number; key(index: number): string | null; getItem(key: string): string | null };
    const { sessionStorage, localStorage } = globalThis as unknown as Record<
      'sessionStorage' | 'localStorage',
      Store
    >;
    const entriesOf = (store: Store) =>
      Object.fromEntries(
        Array.from({ length: store.length }, (_, index) => store.key(index) ?? '').map((key) => [
          key,
          store.getItem(key) ?? '',
        ]),
      );
    return { session: entriesOf(sessionStorage), local: entriesOf(localStorage) };
  });
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

export class ConsoleSession {
  readonly errors: string[] = [];
  private readonly expectedStatuses = new Set<number>();
  private step = 0;

  private constructor(
    readonly page: Page,
    readonly baseUrl: string,
    readonly name: string,
  ) {
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const status = /status of (\d{3})/.exec(message.text())?.[1];
      // Chromium logs every non-2xx fetch; a test that provokes one says so first.
      if (status && this.expectedStatuses.has(Number(status))) return;
      this.errors.push(message.text());
    });
    page.on('pageerror', (error) => this.errors.push(`pageerror: ${error.message}`));
  }

  static async open(browser: Browser, baseUrl: string, name: string): Promise<ConsoleSession> {
    const context = await browser.newContext({
      viewport: { width: 1400, height: 900 },
      acceptDownloads: true,
      // Cloudscape then draws without transitions: axe reads a flash's final colours, never a
      // frame of its entrance (a CI run saw a half-faded Retry button fail colour contrast).
      reducedMotion: 'reduce',
    });
    await mkdir(OUTPUT_DIR, { recursive: true });
    return new ConsoleSession(await context.newPage(), baseUrl, name);
  }

  /** Answers with this status are part of the test (a 409 shown in a flash, a 401 back to sign-in). */
  expectStatus(status: number): void {
    this.expectedStatuses.add(status);
  }

  async signIn(token: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/`);
    await this.page.getByLabel('Token').fill(token);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.page.getByRole('heading', { name: /VPN Gateways/ }).waitFor();
  }

  async shot(label: string): Promise<string> {
    this.step += 1;
    const file = join(OUTPUT_DIR, `${this.name}-${String(this.step).padStart(2, '0')}-${label}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }

  /**
   * What a failed test leaves to look at: the page as it is (`<name>-FAILED.png`) and, in the
   * error's message, its address and the element that has the focus.
   */
  async evidence(): Promise<string> {
    const file = join(OUTPUT_DIR, `${this.name}-FAILED.png`);
    await this.page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
    // A string: the page's DOM types are not this project's (lib ES2023 only).
    const focused = await this.page
      .evaluate<string>(`(() => {
        const element = document.activeElement;
        if (!element || element === document.body) return 'the page itself';
        const label = element.getAttribute('aria-label') ?? (element.textContent ?? '').trim().slice(0, 60);
        return '<' + element.tagName.toLowerCase() + '> ' + label;
      })()`)
      .catch((error: Error) => `unknown (${error.message})`);
    return `${this.name}: at ${this.page.url()}, focus on ${focused}; screenshot ${file}`;
  }

  /** Serious and critical axe-core violations of the page as it is now. */
  async axeViolations(): Promise<AxeViolation[]> {
    // Evaluated, not added as a <script>: the console's CSP refuses inline scripts, and rightly.
    if (!(await this.page.evaluate(() => 'axe' in globalThis)))
      await this.page.evaluate(`${readFileSync(AXE_SOURCE, 'utf8')}\n;0`);
    const violations = await this.page.evaluate(async () => {
      // biome-ignore lint/suspicious/noExplicitAny: axe is injected as a global script
      const browser = globalThis as any;
      const result = await browser.axe.run(browser.document, { resultTypes: ['violations'] });
      return (
        result.violations as {
          id: string;
          impact: string | null;
          help: string;
          nodes: { target: string[] }[];
        }[]
      ).map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        nodes: violation.nodes.map((node) => node.target.join(' ')),
      }));
    });
    return violations.filter(
      (violation) => violation.impact === 'serious' || violation.impact === 'critical',
    );
  }

  async close(): Promise<void> {
    await this.page.context().close();
  }
}
