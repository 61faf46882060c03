/**
 * The API client, typed from the OpenAPI document (lambdas/openapi/openapi.json → schema.ts by
 * openapi-typescript; `npm run generate`, which also writes each enum's values). `call` turns every answer into data or a typed error: a
 * 401 ends the session (back to sign-in), no answer at all is a NetworkError (retryable).
 */
import createClient from 'openapi-fetch';
import { currentIdentity, signOut } from '../auth/session';
import { NetworkError, SessionExpiredError, toApiError } from './errors';
import { type components, gatewayStatusValueValues, type paths, peeringStatusValueValues } from './schema';

export type Gateway = components['schemas']['Gateway'];
export type GatewayDetail = components['schemas']['GatewayDetail'];
export type Peer = components['schemas']['Peer'];
export type Peering = components['schemas']['Peering'];
export type PeeringCandidate = components['schemas']['PeeringCandidate'];
export type GatewayStatus = components['schemas']['GatewayStatus'];
export type PeerLiveStatus = components['schemas']['PeerLiveStatus'];
export type RegisterGatewayRequest = components['schemas']['RegisterGatewayRequest'];
export type GatewayStatusValue = components['schemas']['GatewayStatusValue'];
export type PeeringStatusValue = components['schemas']['PeeringStatusValue'];

/** The statuses the lists filter by (`status=`): the OpenAPI document's enums, as generated. */
export const GATEWAY_STATUSES: readonly GatewayStatusValue[] = gatewayStatusValueValues;
export const PEERING_STATUSES: readonly PeeringStatusValue[] = peeringStatusValueValues;

export type ApiClient = ReturnType<typeof createClient<paths>>;

let client: ApiClient = createClient<paths>({ baseUrl: '' });

/** Points the client at the API (same origin locally; the stack's ApiUrl on AWS). */
export function configureApi(baseUrl: string): void {
  client = createClient<paths>({ baseUrl: baseUrl.replace(/\/$/, '') });
  client.use({
    onRequest: ({ request }) => {
      const identity = currentIdentity();
      if (identity) request.headers.set('authorization', `Bearer ${identity.token}`);
      return request;
    },
  });
}
configureApi('');

export const api = (): ApiClient => client;

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/**
 * The data of a call, or the error it is: ApiError, NetworkError or SessionExpiredError. A request
 * that changes something names what it does (`unsent`): refused with a 401 it did nothing (the
 * authorizer answers before any handler runs), and the sign-in page says it was not sent.
 */
export async function call<T>(request: Promise<Answer<T>>, unsent?: string): Promise<T> {
  return (await callWithStatus(request, unsent)).data;
}

/** As `call`, with the status (201 done against 202 still running, 204 against 202). */
export async function callWithStatus<T>(
  request: Promise<Answer<T>>,
  unsent?: string,
): Promise<{ data: T; status: number }> {
  let answer: Answer<T>;
  try {
    answer = await request;
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new NetworkError(error instanceof Error ? error.message : 'The request failed');
  }
  if (answer.response.status === 401) {
    signOut(unsent ? { unsentRequest: unsent } : undefined);
    throw new SessionExpiredError('Your session has ended; sign in again');
  }
  const { response } = answer;
  if (!response.ok) throw toApiError(response.status, answer.error, response.headers.get('retry-after'));
  return { data: answer.data as T, status: response.status };
}

/** One page of a list as the API answers it: no `nextToken` on the last page. */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** The rows of a list page (VPN Gateways, VPC Peerings): each is one request of this `limit`. */
export const LIST_PAGE_SIZE = 20;

/** The query of one page of a list the server filters by `status` and (admins) `ownerId`. */
export function listPageQuery<S extends string>(
  filters: { status?: S; ownerId?: string },
  nextToken?: string,
) {
  return {
    limit: LIST_PAGE_SIZE,
    ...(nextToken ? { nextToken } : {}),
    ...(filters.status ? { status: filters.status } : {}),
    ...(filters.ownerId ? { ownerId: filters.ownerId } : {}),
  };
}

/** A list as the console holds it: at most `MAX_PAGES` pages, and whether more were left unread. */
export interface Listed<T> {
  items: T[];
  truncated: boolean;
}

/** Pages of 100: a list stops at 5,000 items, and says so (docs/DECISIONS.md, "Console"). */
export const MAX_PAGES = 50;
export const PAGE_SIZE = 100;

/** Every item of a paged list, following `nextToken` (lists are pages: README, "Calling the API"). */
export async function allPages<T>(
  page: (nextToken: string | undefined) => Promise<{ items: T[]; nextToken?: string }>,
  maxPages = MAX_PAGES,
): Promise<Listed<T>> {
  const items: T[] = [];
  let nextToken: string | undefined;
  for (let index = 0; index < maxPages; index += 1) {
    const result = await page(nextToken);
    items.push(...result.items);
    nextToken = result.nextToken;
    if (!nextToken) break;
  }
  return { items, truncated: nextToken !== undefined };
}
