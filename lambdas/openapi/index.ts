/**
 * The OpenAPI 3.1 document of the API (lambdas/openapi/openapi.json), served at GET /v1/openapi.json.
 * The console's API client is generated from the same file (console/package.json, `generate`), and
 * test/api/openapi.test.ts keeps it and the route table in step.
 */
import document from './openapi.json';

export const OPENAPI_PATH = '/v1/openapi.json';
export const openApiDocument: unknown = document;
