/** HTTP responses of the API: JSON bodies, the error envelope of docs/CONTRACT.md#errors, and plain text. */
import type { APIGatewayProxyResult } from 'aws-lambda';

export interface HttpResponse extends APIGatewayProxyResult {
  headers: Record<string, string>;
}

// Responses may carry a road-warrior's own key (config download): never cache any of them.
const COMMON_HEADERS = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export function jsonResponse(
  statusCode: number,
  body?: unknown,
  headers: Record<string, string> = {},
): HttpResponse {
  if (body === undefined) return { statusCode, headers: { ...COMMON_HEADERS, ...headers }, body: '' };
  return {
    statusCode,
    headers: { ...COMMON_HEADERS, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function textResponse(statusCode: number, text: string): HttpResponse {
  return {
    statusCode,
    headers: { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
    body: text,
  };
}

export function errorResponse(
  statusCode: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): HttpResponse {
  return jsonResponse(statusCode, { error: { code, message } }, headers);
}

/** An HTTP-level refusal that has no domain error class (405, unknown route). */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
