/**
 * A form's wait before it sends a refused request again. A 429 or 503 with Retry-After (or a 409
 * that asks for "later": `retryWaitSeconds`) holds the form's submit button disabled, counting
 * down ("Try again in N s"), so a person who submits again at once is not refused again. The form
 * keeps its input, and so its Idempotency-Key (api/idempotency.ts): the retry is the same request,
 * which the API runs rather than replays, since it never replays an answer that asked for a retry.
 * Every form and confirmation dialog that sends a request uses this one definition.
 */
import Button, { type ButtonProps } from '@cloudscape-design/components/button';
import { useCallback, useEffect, useState } from 'react';
import { describeError, retryWaitSeconds } from '../api/errors';

export interface RetryWait {
  /** Whole seconds left of the wait; 0 once the form may be sent again. */
  secondsLeft: number;
  /** Why it waits (the API's answer), while it waits. */
  reason: string | undefined;
  /** The request of a submission: a failure that asks for a wait starts it, and is rethrown. */
  send<T>(request: Promise<T>): Promise<T>;
  /** Whether this failure asks for a wait: a confirmation dialog then stays open, counting down. */
  holds(error: unknown): boolean;
}

export function useRetryWait(): RetryWait {
  const [wait, setWait] = useState<{ notBefore: number; reason: string }>();
  const [secondsLeft, setSecondsLeft] = useState(0);
  useEffect(() => {
    if (!wait) return;
    let timer: number | undefined;
    // Ticks on the second's boundaries, so the count never shows a second that has passed.
    const tick = () => {
      const left = wait.notBefore - Date.now();
      setSecondsLeft(Math.max(0, Math.ceil(left / 1000)));
      if (left > 0) timer = window.setTimeout(tick, left % 1000 || 1000);
      else setWait(undefined);
    };
    tick();
    return () => window.clearTimeout(timer);
  }, [wait]);
  const send = useCallback(async <T,>(request: Promise<T>): Promise<T> => {
    try {
      return await request;
    } catch (error) {
      const seconds = retryWaitSeconds(error);
      if (seconds) {
        const shown = describeError('', error);
        setSecondsLeft(seconds);
        setWait({ notBefore: Date.now() + seconds * 1000, reason: shown.message });
      }
      throw error;
    }
  }, []);
  const holds = useCallback((error: unknown) => retryWaitSeconds(error) !== undefined, []);
  return { secondsLeft, reason: secondsLeft > 0 ? wait?.reason : undefined, send, holds };
}

/**
 * A submit button that waits out a `RetryWait`: disabled with the count while it runs. Disabled
 * with a reason, it keeps the focus (a keyboard user stays on it) and refuses clicks and the
 * form's implicit submission (Enter in a field).
 */
export function WaitingButton({
  wait,
  children,
  ...props
}: Omit<ButtonProps, 'children' | 'disabledReason'> & { wait: RetryWait; children: string }) {
  if (wait.secondsLeft <= 0) return <Button {...props}>{children}</Button>;
  return (
    <Button {...props} loading={false} disabled disabledReason={wait.reason ?? 'The API asked to wait'}>
      {`Try again in ${wait.secondsLeft} s`}
    </Button>
  );
}
