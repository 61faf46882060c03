/**
 * The console's flash messages. Every failure is shown through `reportError` with the API's own
 * message; a failure worth asking again (network, 5xx, 429) carries a Retry button. A 401 is
 * not shown: it returns to sign-in. The newest message comes first: a stacked bar (three or
 * more) shows only the first. Every flash is announced to a screen reader (`ANNOUNCED`).
 */
import type { FlashbarProps } from '@cloudscape-design/components/flashbar';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { describeError, SessionExpiredError } from './api/errors';

interface Notifications {
  items: FlashbarProps.MessageDefinition[];
  notify(item: Omit<FlashbarProps.MessageDefinition, 'id' | 'onDismiss' | 'ariaRole'>): void;
  reportError(action: string, error: unknown, retry?: () => void): void;
  clear(): void;
}

const Context = createContext<Notifications | undefined>(undefined);

let nextId = 0;

/**
 * What every flash has. Cloudscape's Flashbar announces only an item with an `ariaRole`, and its
 * region is no live region: without it a flash (a create that ended FAILED, a download's error, a
 * peer added) reaches a screen reader as silence. `status`, errors too: a polite announcement that
 * leaves the focus where the person works, whereas Cloudscape moves the focus to an `alert` item
 * (docs/DECISIONS.md, "Console: what a screen reader is told").
 */
const ANNOUNCED = {
  dismissible: true,
  dismissLabel: 'Dismiss message',
  ariaRole: 'status',
} as const satisfies Partial<FlashbarProps.MessageDefinition>;

/**
 * A flash's Retry. When the API asked to wait (Retry-After: a 429, a 503, a request still
 * running), the button says how long and a click waits out what is left of it before asking again.
 */
function retryButton(
  waitSeconds: number | undefined,
  dismiss: () => void,
  retry: () => void,
): Pick<FlashbarProps.MessageDefinition, 'buttonText' | 'onButtonClick'> {
  const notBefore = Date.now() + (waitSeconds ?? 0) * 1000;
  return {
    buttonText: waitSeconds ? `Retry after ${waitSeconds} s` : 'Retry',
    onButtonClick: () => {
      dismiss();
      const left = notBefore - Date.now();
      if (left > 0) window.setTimeout(retry, left);
      else retry();
    },
  };
}

export function NotificationsProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<FlashbarProps.MessageDefinition[]>([]);
  const dismiss = useCallback((id: string) => setItems((all) => all.filter((item) => item.id !== id)), []);
  const notify = useCallback<Notifications['notify']>(
    (item) => {
      nextId += 1;
      const id = `flash-${nextId}`;
      setItems((all) => [{ ...item, ...ANNOUNCED, id, onDismiss: () => dismiss(id) }, ...all.slice(0, 4)]);
    },
    [dismiss],
  );
  const reportError = useCallback<Notifications['reportError']>(
    (action, error, retry) => {
      if (error instanceof SessionExpiredError) return; // the sign-in page takes over
      if (error instanceof DOMException && error.name === 'AbortError') return;
      const shown = describeError(action, error);
      nextId += 1;
      const id = `flash-${nextId}`;
      const retryable = shown.retryable && retry !== undefined;
      setItems((all) => [
        {
          id,
          type: 'error',
          header: shown.header,
          content: shown.message,
          ...ANNOUNCED,
          onDismiss: () => dismiss(id),
          ...(retryable ? retryButton(shown.retryAfterSeconds, () => dismiss(id), retry) : {}),
        },
        ...all.slice(0, 4),
      ]);
    },
    [dismiss],
  );
  const clear = useCallback(() => setItems([]), []);
  const value = useMemo(() => ({ items, notify, reportError, clear }), [items, notify, reportError, clear]);
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useNotifications(): Notifications {
  const value = useContext(Context);
  if (!value) throw new Error('useNotifications outside NotificationsProvider');
  return value;
}
