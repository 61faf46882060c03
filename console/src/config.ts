/**
 * Runtime configuration, read from /config.json at start. The embedded runtime serves
 * `{"auth": "token"}` (same origin, pasted tokens); on AWS the stack writes the API URL and the
 * Cognito pool, client and managed login domain (lib/constructs/console-hosting.ts).
 */
export type ConsoleConfig =
  | { auth: 'token'; apiUrl: string }
  | { auth: 'cognito'; apiUrl: string; region: string; userPoolId: string; clientId: string; domain: string };

/** /config.json could not be had: the console cannot tell how to sign in, so it does not start. */
export class ConfigUnavailableError extends Error {
  override readonly name = 'ConfigUnavailableError';
}

export function parseConfig(value: unknown): ConsoleConfig {
  const raw = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const text = (key: string) => (typeof raw[key] === 'string' ? (raw[key] as string) : '');
  if (raw.auth === 'cognito') {
    return {
      auth: 'cognito',
      apiUrl: text('apiUrl'),
      region: text('region'),
      userPoolId: text('userPoolId'),
      clientId: text('clientId'),
      domain: text('domain'),
    };
  }
  // Only a config that says so takes pasted tokens: anything else is no config of this console.
  if (raw.auth === 'token') return { auth: 'token', apiUrl: text('apiUrl') };
  throw new ConfigUnavailableError('config.json names no sign-in mode ("auth": "cognito" or "token")');
}

/** Never a default: falling back to token mode would offer the local token box in production. */
export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' }).catch((error: unknown) => {
    throw new ConfigUnavailableError(
      `config.json: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  if (!response.ok) throw new ConfigUnavailableError(`config.json answered HTTP ${response.status}`);
  const body: unknown = await response.json().catch(() => {
    throw new ConfigUnavailableError('config.json is not JSON');
  });
  return parseConfig(body);
}
