/** Unsigned JWTs for the unit tests: the console reads claims, the API verifies signatures. */
const base64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export const jwt = (claims: Record<string, unknown>): string =>
  `${base64url({ alg: 'HS256' })}.${base64url(claims)}.signature`;

export const inAnHour = (): number => Math.floor(Date.now() / 1000) + 3600;
