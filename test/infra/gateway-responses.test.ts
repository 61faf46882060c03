/**
 * API Gateway's own answers (lib/constructs/peering-api.ts): the Cognito authorizer's 401, an
 * unknown path, stage throttling, the body cap and every other 4xx and 5xx answer in the contract's
 * `{"error": {"code", "message"}}` envelope (docs/CONTRACT.md#errors), with or without a console
 * origin, and carry that origin when there is one.
 */
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PeeringApi } from '../../lib/constructs/peering-api';
import { inlineFunction } from '../support/inline-function';

const CONSOLE_ORIGIN = 'https://console.example.com';

interface GatewayResponse {
  ResponseType: string;
  StatusCode?: string;
  ResponseParameters?: Record<string, string>;
  ResponseTemplates?: Record<string, string>;
}

/** The gateway responses of a PeeringApi, by response type. */
function gatewayResponses(consoleOrigin?: string): Record<string, GatewayResponse> {
  const stack = new Stack(new App(), 'Responses');
  new PeeringApi(stack, 'Api', {
    handler: inlineFunction(stack, 'Handler'),
    removalPolicy: RemovalPolicy.DESTROY,
    ...(consoleOrigin ? { consoleOrigin } : {}),
  });
  const found = Template.fromStack(stack).findResources('AWS::ApiGateway::GatewayResponse');
  return Object.fromEntries(
    Object.values(found).map(({ Properties }) => [Properties.ResponseType, Properties as GatewayResponse]),
  );
}

/** Status and envelope of each response, as a client would read them. */
const answers = (responses: Record<string, GatewayResponse>) =>
  Object.fromEntries(
    Object.entries(responses).map(([type, response]) => [
      type,
      [response.StatusCode, JSON.parse(response.ResponseTemplates?.['application/json'] ?? 'null')],
    ]),
  );

const envelope = (code: string, message: string) => ({ error: { code, message } });

describe.each([
  ['without a console origin', undefined],
  ['with a console origin', CONSOLE_ORIGIN],
])('gateway responses %s', (_case, consoleOrigin) => {
  const responses = gatewayResponses(consoleOrigin);

  test('each answers in the envelope, with the contract’s status and code', () => {
    expect(answers(responses)).toEqual({
      UNAUTHORIZED: ['401', envelope('UNAUTHORIZED', 'A valid bearer token is required')],
      MISSING_AUTHENTICATION_TOKEN: ['404', envelope('NOT_FOUND', 'No such route')],
      RESOURCE_NOT_FOUND: ['404', envelope('NOT_FOUND', 'No such route')],
      THROTTLED: ['429', envelope('THROTTLED', 'Too many requests; retry in 1 s')],
      REQUEST_TOO_LARGE: ['413', envelope('PAYLOAD_TOO_LARGE', 'Bodies are limited to 10 MB')],
      DEFAULT_4XX: [
        undefined,
        envelope('REQUEST_REFUSED', 'API Gateway refused the request before it reached the API'),
      ],
      DEFAULT_5XX: [undefined, envelope('INTERNAL_ERROR', 'Internal error')],
    });
  });

  test('no template substitutes a value, so no message can break its JSON', () => {
    const templates = Object.values(responses).map((response) => response.ResponseTemplates ?? {});
    expect(templates.every((byType) => Object.keys(byType).join() === 'application/json')).toBe(true);
    expect(templates.filter((byType) => JSON.stringify(byType).includes('$'))).toEqual([]);
  });

  test('429 says when to retry', () => {
    expect(responses.THROTTLED?.ResponseParameters?.['gatewayresponse.header.Retry-After']).toBe("'1'");
  });

  test(consoleOrigin ? 'each carries the console origin' : 'none carries an origin', () => {
    const origins = Object.values(responses).map(
      (response) => response.ResponseParameters?.['gatewayresponse.header.Access-Control-Allow-Origin'],
    );
    expect(new Set(origins)).toEqual(new Set([consoleOrigin ? `'${consoleOrigin}'` : undefined]));
  });
});
