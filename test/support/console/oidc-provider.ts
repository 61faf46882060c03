/**
 * A tiny OpenID provider standing in for Cognito managed login in the browser suite: discovery,
 * /oauth2/authorize (redirects back with a code), /oauth2/token (authorization code with PKCE,
 * S256 verified; a refresh token with it, whose use it records), /oauth2/revoke, the JWKS, and
 * Cognito's /logout (redirects to logout_uri). ID tokens are RS256 with Cognito's claims
 * (`cognito:groups`, `cognito:username`, `email`, `token_use`). It records what it was asked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, jwtVerify, type KeyLike, SignJWT } from 'jose';

export interface OidcUser {
  sub: string;
  groups: string[];
  email?: string;
  /** The token response's expires_in (Cognito: an hour). */
  expiresInSeconds?: number;
}

interface Grant {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  nonce: string | undefined;
}

export interface OidcProvider {
  url: string;
  /** Every authorize request's query, token and revoke request's form and logout's query, in order. */
  readonly requests: { path: string; params: Record<string, string> }[];
  /** The refresh tokens it issued. */
  readonly refreshTokens: string[];
  /** Verifies an ID token as the Cognito authorizer would: signature, issuer, audience, use. */
  verifyIdToken(token: string, clientId: string): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

const KEY_ID = 'test-key';

const base64url = (buffer: Buffer) => buffer.toString('base64url');

async function readForm(request: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startOidcProvider(user: OidcUser): Promise<OidcProvider> {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: KEY_ID, alg: 'RS256', use: 'sig' };
  const grants = new Map<string, Grant>();
  const requests: OidcProvider['requests'] = [];
  const refreshTokens: string[] = [];
  let url = '';

  const json = (response: ServerResponse, status: number, body: unknown) => {
    // The console fetches discovery, JWKS and tokens from its own origin.
    response.writeHead(status, { 'content-type': 'application/json', 'access-control-allow-origin': '*' });
    response.end(JSON.stringify(body));
  };
  const redirect = (response: ServerResponse, location: string) => {
    response.writeHead(302, { location });
    response.end();
  };

  const idToken = (clientId: string, nonce: string | undefined, key: KeyLike) =>
    new SignJWT({
      'cognito:groups': user.groups,
      'cognito:username': user.sub,
      ...(user.email ? { email: user.email } : {}),
      token_use: 'id',
      ...(nonce ? { nonce } : {}),
    })
      .setProtectedHeader({ alg: 'RS256', kid: KEY_ID })
      .setSubject(user.sub)
      .setIssuer(url)
      .setAudience(clientId)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key);

  const server = createServer(async (request, response) => {
    const { pathname, searchParams } = new URL(request.url ?? '/', url);
    if (request.method === 'OPTIONS') {
      response.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': 'content-type, authorization',
        'access-control-allow-methods': 'GET, POST',
      });
      return response.end();
    }
    if (pathname === '/.well-known/openid-configuration') {
      return json(response, 200, {
        issuer: url,
        authorization_endpoint: `${url}/oauth2/authorize`,
        token_endpoint: `${url}/oauth2/token`,
        jwks_uri: `${url}/.well-known/jwks.json`,
        userinfo_endpoint: `${url}/oauth2/userInfo`,
        revocation_endpoint: `${url}/oauth2/revoke`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['RS256'],
        subject_types_supported: ['public'],
      });
    }
    if (pathname === '/.well-known/jwks.json') return json(response, 200, { keys: [jwk] });
    if (pathname === '/oauth2/authorize') {
      const params = Object.fromEntries(searchParams);
      requests.push({ path: pathname, params });
      const redirectUri = params.redirect_uri ?? '';
      if (
        params.response_type !== 'code' ||
        params.code_challenge_method !== 'S256' ||
        !params.code_challenge
      ) {
        return json(response, 400, { error: 'invalid_request', error_description: 'code + PKCE S256 only' });
      }
      const code = base64url(randomBytes(16));
      grants.set(code, {
        clientId: params.client_id ?? '',
        redirectUri,
        codeChallenge: params.code_challenge,
        nonce: params.nonce,
      });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      if (params.state) back.searchParams.set('state', params.state);
      return redirect(response, back.toString());
    }
    if (pathname === '/oauth2/token' && request.method === 'POST') {
      const form = await readForm(request);
      const params = Object.fromEntries(form);
      requests.push({ path: pathname, params });
      if (params.grant_type === 'refresh_token') return json(response, 400, { error: 'invalid_grant' });
      const grant = grants.get(params.code ?? '');
      grants.delete(params.code ?? '');
      const challenge = base64url(
        createHash('sha256')
          .update(params.code_verifier ?? '')
          .digest(),
      );
      if (
        params.grant_type !== 'authorization_code' ||
        !grant ||
        grant.clientId !== params.client_id ||
        grant.redirectUri !== params.redirect_uri ||
        grant.codeChallenge !== challenge
      ) {
        return json(response, 400, { error: 'invalid_grant' });
      }
      const refreshToken = base64url(randomBytes(24));
      refreshTokens.push(refreshToken);
      return json(response, 200, {
        id_token: await idToken(grant.clientId, grant.nonce, privateKey),
        access_token: base64url(randomBytes(24)),
        refresh_token: refreshToken,
        token_type: 'Bearer',
        expires_in: user.expiresInSeconds ?? 3600,
      });
    }
    if (pathname === '/oauth2/revoke' && request.method === 'POST') {
      requests.push({ path: pathname, params: Object.fromEntries(await readForm(request)) });
      return json(response, 200, {});
    }
    if (pathname === '/logout') {
      const params = Object.fromEntries(searchParams);
      requests.push({ path: pathname, params });
      return redirect(response, params.logout_uri ?? '/');
    }
    return json(response, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    get url() {
      return url;
    },
    requests,
    refreshTokens,
    verifyIdToken: async (token, clientId) => {
      const { payload } = await jwtVerify(token, publicKey, { issuer: url, audience: clientId });
      if (payload.token_use !== 'id') throw new Error('not an ID token');
      return payload as Record<string, unknown>;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
