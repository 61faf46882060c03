/**
 * The OpenAPI document (lambdas/openapi/openapi.json) and the route table stay in step: every route
 * is described and every described operation is routed; every `$ref` resolves; every request and
 * response example validates against its schema; the document is served without a token.
 */

import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { ApiDeps, ApiPolicy } from '../../lambdas/app/api/context';
import { createApiHandler } from '../../lambdas/http/handler';
import { apiRoutes } from '../../lambdas/http/routes';
import { OPENAPI_PATH, openApiDocument } from '../../lambdas/openapi';

type Json = Record<string, unknown>;
const doc = openApiDocument as Json & { paths: Record<string, Json> };
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

function resolvePointer(pointer: string): unknown {
  return pointer
    .replace(/^#\//, '')
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], doc);
}

/** Every `$ref` in the document, with where it sits. */
function refsOf(node: unknown, at = '#'): { at: string; ref: string }[] {
  if (Array.isArray(node)) return node.flatMap((item, index) => refsOf(item, `${at}/${index}`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [{ at, ref: value }] : refsOf(value, `${at}/${key}`),
  );
}

const deref = (node: Json): Json =>
  typeof node.$ref === 'string' ? deref(resolvePointer(node.$ref) as Json) : node;

interface Example {
  where: string;
  schema: Json;
  example: unknown;
}

/** Request and response examples of every operation, each with its media type's schema. */
function examples(): Example[] {
  const found: Example[] = [];
  const collect = (where: string, content: unknown) => {
    for (const [media, entry] of Object.entries((content ?? {}) as Record<string, Json>)) {
      if ('example' in entry)
        found.push({ where: `${where} ${media}`, schema: entry.schema as Json, example: entry.example });
    }
  };
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as Json | undefined;
      if (!operation) continue;
      const body = operation.requestBody as Json | undefined;
      if (body) collect(`${method.toUpperCase()} ${path} request`, deref(body).content);
      for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
        collect(`${method.toUpperCase()} ${path} ${status}`, deref(response).content);
      }
    }
  }
  return found;
}

describe('the OpenAPI document', () => {
  test('is OpenAPI 3.1 and describes exactly the routes the API serves', () => {
    // Prepare
    const routed = apiRoutes({} as ApiDeps, { waitMs: 0, pollMs: 0 }, {} as ApiPolicy).map(
      (route) => `${route.method} ${route.path}`,
    );
    // Act
    const described = Object.entries(doc.paths).flatMap(([path, item]) =>
      HTTP_METHODS.filter((method) => method in item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // Assess
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect([...described].sort()).toEqual([...routed].sort());
  });

  test('every $ref resolves', () => {
    const dangling = refsOf(doc).filter(({ ref }) => resolvePointer(ref) === undefined);
    expect(dangling).toEqual([]);
  });

  test('every request and response example validates against its schema', () => {
    // Prepare
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(doc, 'openapi.json');
    const found = examples();
    // Act
    const failures = found.flatMap(({ where, schema, example }) => {
      const schemaRef = typeof schema.$ref === 'string' ? { $ref: `openapi.json${schema.$ref}` } : schema;
      const validate = ajv.compile(schemaRef);
      return validate(example) ? [] : [{ where, errors: ajv.errorsText(validate.errors) }];
    });
    // Assess
    expect(found.length).toBeGreaterThan(15);
    expect(failures).toEqual([]);
  });

  test('an example that breaks its schema is caught (the check can fail)', () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema(doc, 'openapi.json');
    const validate = ajv.compile({ $ref: 'openapi.json#/components/schemas/Peering' });
    expect(validate({ id: 'pcx-1', gatewayIds: ['a'], status: 'DONE' })).toBe(false);
  });

  test(`is served at GET ${OPENAPI_PATH} without a token`, async () => {
    // Prepare
    const handler = createApiHandler(
      () => ({}) as ApiDeps,
      () => ({ waitMs: 0, pollMs: 0 }),
      () => ({}) as ApiPolicy,
    );
    const event = {
      httpMethod: 'GET',
      path: OPENAPI_PATH,
      headers: {},
      body: null,
      requestContext: { authorizer: null },
    } as unknown as APIGatewayProxyEvent;
    // Act
    const response = await handler(event, {} as Context);
    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual(openApiDocument);
  });
});
