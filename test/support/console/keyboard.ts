/**
 * Driving the console with the keyboard alone (README, "Using the console": every flow works with
 * the keyboard): Tab and Shift+Tab move the focus until it is on the element a step names, by its
 * role and accessible name as Playwright's ARIA snapshot computes them; nothing is clicked.
 */
import type { Page } from 'playwright-core';

export interface FocusTarget {
  role: string;
  name: string | RegExp;
  /** Text of the table row or dialog the element is in. */
  within?: string;
}

interface Focused {
  role: string;
  name: string;
  context: string;
}

/** What has the focus: its ARIA role and name, and the text of its row or dialog. */
export async function focused(page: Page): Promise<Focused | undefined> {
  const element = page.locator('*:focus');
  if ((await element.count()) === 0) return undefined;
  const first = ((await element.ariaSnapshot()).split('\n')[0] ?? '').trim();
  // YAML quotes the whole key when the name holds an apostrophe: - 'textbox "it''s"': ""
  const quoted = /^- '((?:[^']|'')*)'(.*)$/.exec(first);
  const line = quoted ? `- ${quoted[1]?.replace(/''/g, "'")}${quoted[2]}` : first;
  // `- role "name" [attributes]`, then `:` and the text when the element holds text of its own.
  const match = /^- (\S+?)(?: "((?:[^"\\]|\\.)*)")?(?: \[[^\]]*\])*(?::.*)?$/.exec(line);
  const context = await element.evaluate((node) => node.closest('tr, [role="dialog"]')?.textContent ?? '');
  return { role: match?.[1] ?? line, name: (match?.[2] ?? '').replace(/\\"/g, '"'), context };
}

const describe = (value: Focused | FocusTarget | undefined): string =>
  value
    ? `${value.role} "${String(value.name)}"${'within' in value && value.within ? ` in "${value.within}"` : ''}`
    : 'nothing';

function matches(actual: Focused | undefined, target: FocusTarget): boolean {
  if (!actual || actual.role !== target.role) return false;
  const named = typeof target.name === 'string' ? actual.name === target.name : target.name.test(actual.name);
  return named && (target.within === undefined || actual.context.includes(target.within));
}

/** Presses Tab (Shift+Tab when `backwards`) until `target` has the focus; fails naming where it ended. */
export async function tabTo(
  page: Page,
  target: FocusTarget,
  options: { backwards?: boolean; maxPresses?: number } = {},
): Promise<void> {
  const key = options.backwards ? 'Shift+Tab' : 'Tab';
  const maxPresses = options.maxPresses ?? 80;
  const visited: string[] = [];
  for (let presses = 0; presses <= maxPresses; presses += 1) {
    const now = await focused(page);
    if (matches(now, target)) return;
    if (visited.length < 30) visited.push(describe(now));
    await page.keyboard.press(key);
  }
  throw new Error(`${key} ×${maxPresses} never reached ${describe(target)}; it went ${visited.join(' → ')}`);
}

/** Waits until `target` has the focus (focus management after a page change or a dialog). */
export async function expectFocusOn(page: Page, target: FocusTarget, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: Focused | undefined;
  while (Date.now() < deadline) {
    last = await focused(page);
    if (matches(last, target)) return;
    await page.waitForTimeout(50);
  }
  throw new Error(`expected the focus on ${describe(target)}, it is on ${describe(last)}`);
}

/** In an open listbox (a Select), moves with ArrowDown until the highlighted option starts with `label`. */
export async function arrowToOption(page: Page, label: string, maxPresses = 30): Promise<void> {
  const highlighted = () =>
    page.evaluate(() => {
      // The test compiles without the DOM library; this is the little of it used here.
      const { document } = globalThis as unknown as {
        document: {
          activeElement: { getAttribute(name: string): string | null } | null;
          getElementById(id: string): { textContent: string | null } | null;
        };
      };
      const id = document.activeElement?.getAttribute('aria-activedescendant');
      return (id && document.getElementById(id)?.textContent) || '';
    });
  for (let presses = 0; presses <= maxPresses; presses += 1) {
    if ((await highlighted()).startsWith(label)) return;
    await page.keyboard.press('ArrowDown');
  }
  throw new Error(`ArrowDown ×${maxPresses} never highlighted ${label}; it is on "${await highlighted()}"`);
}
