/**
 * The OpenAPI document (lambdas/openapi/openapi.json) as the API tests read it: its `$ref`s
 * followed, and its schemas compiled with Ajv 2020 so an answer can be checked against them.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../lambdas/openapi';

export type Json = Record<string, unknown>;
export const doc = openApiDocument as Json & { paths: Record<string, Json> };
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function resolvePointer(pointer: string): unknown {
  return pointer
    .replace(/^#\//, '')
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], doc);
}

export const deref = (node: Json): Json =>
  typeof node.$ref === 'string' ? deref(resolvePointer(node.$ref) as Json) : node;

/** The schema with its `#/...` pointers made absolute, so it compiles apart from the document. */
function anchored(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(anchored);
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) =>
      key === '$ref' && typeof value === 'string' ? [key, `openapi.json${value}`] : [key, anchored(value)],
    ),
  );
}

/** A validator of the document's schemas: the errors of `value`, or undefined when it is valid. */
export function schemaValidator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi.json');
  return (schema: Json, value: unknown): string | undefined => {
    const validate = ajv.compile(anchored(schema) as Json);
    return validate(value) ? undefined : ajv.errorsText(validate.errors);
  };
}

/** The JSON schema of `method path`'s `status` answer. */
export function answerSchema(method: string, path: string, status: number): Json {
  const operation = doc.paths[path]?.[method.toLowerCase()] as Json | undefined;
  const response = (operation?.responses as Record<string, Json> | undefined)?.[String(status)];
  if (!response) throw new Error(`${method} ${path} documents no ${status}`);
  const content = deref(response).content as Record<string, Json> | undefined;
  return content?.['application/json']?.schema as Json;
}
