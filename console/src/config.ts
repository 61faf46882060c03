/**
 * Runtime configuration, read from /config.json at start. The embedded runtime serves
 * `{"auth": "token"}` (same origin, pasted tokens); on AWS the stack writes the API URL and the
 * Cognito pool, client and managed login domain (lib/constructs/console-hosting.ts).
 */
export type ConsoleConfig =
  | { auth: 'token'; apiUrl: string }
  | { auth: 'cognito'; apiUrl: string; region: string; userPoolId: string; clientId: string; domain: string };

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
  return { auth: 'token', apiUrl: text('apiUrl') };
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' }).catch(() => undefined);
  if (!response?.ok) return { auth: 'token', apiUrl: '' };
  return parseConfig(await response.json().catch(() => ({})));
}
