/**
 * The Idempotency-Key of a form or dialog. A submission asked again with the same input (a retry
 * after a lost answer or a 5xx) reuses the key, so the API replays its first answer instead of a
 * 409 for the caller's own success; changed input is another request and gets a new key, as does
 * the next one after a success.
 */
export class IdempotencyKey {
  private current: { input: string; key: string } | undefined;

  /** The key for this input: the last one while the input is unchanged. */
  for(input: unknown): string {
    const text = JSON.stringify(input);
    if (this.current?.input !== text) this.current = { input: text, key: crypto.randomUUID() };
    return this.current.key;
  }

  /** After a success (or a dialog opened afresh): the next submission is a new request. */
  reset(): void {
    this.current = undefined;
  }
}
