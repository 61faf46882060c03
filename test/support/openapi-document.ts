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

/**
 * The document with every object schema closed (`additionalProperties: false` where it declares
 * properties and says nothing of others), and each `allOf` of objects merged into one object first
 * (GatewayDetail), so closing a part does not refuse the other part's fields. The published document
 * stays open; the tests hold the answers to it closed, so a field the document does not declare (a
 * private key's name, a generation, a storage key) fails them.
 */
function closedDocument(): Json {
  const copy = structuredClone(doc) as Json;
  const at = (node: Json): Json =>
    typeof node.$ref === 'string'
      ? at(
          node.$ref
            .replace(/^#\//, '')
            .split('/')
            .reduce<unknown>((parent, part) => (parent as Json)[part], copy) as Json,
        )
      : node;
  const merge = (node: Json): void => {
    const parts = (node.allOf as Json[] | undefined)?.map(at);
    if (!parts?.every((part) => part.type === 'object')) return;
    delete node.allOf;
    Object.assign(node, {
      type: 'object',
      required: parts.flatMap((part) => (part.required ?? []) as string[]),
      properties: Object.assign({}, ...parts.map((part) => part.properties ?? {})),
    });
  };
  const close = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    const schema = node as Json;
    if (!Array.isArray(node)) merge(schema);
    if (schema.type === 'object' && schema.properties && schema.additionalProperties === undefined)
      schema.additionalProperties = false;
    for (const child of Object.values(schema)) close(child);
  };
  close(copy.components);
  close(copy.paths);
  return copy;
}

export interface DocumentedAnswer {
  status: number;
  headers: Headers;
  /** Parsed JSON, the text of another media type, or undefined when there is none. */
  body: unknown;
}

let closedValidator: ((schema: Json, value: unknown) => string | undefined) | undefined;

/**
 * What the document says against a real answer of `method template`: its status is documented for
 * the operation; every required header is sent, and a Location or Retry-After it sends is
 * documented; a body is sent exactly when one is documented, in a documented media type, and a JSON
 * one validates against the closed document (no undeclared field). Empty when they agree.
 */
export function disagreements(method: string, template: string, answer: DocumentedAnswer): string[] {
  const operation = doc.paths[template]?.[method.toLowerCase()] as Json | undefined;
  const documented = (operation?.responses as Record<string, Json> | undefined)?.[String(answer.status)];
  if (!documented) return [`${method} ${template} does not document ${answer.status}`];
  const response = deref(documented);
  const headers = (response.headers ?? {}) as Record<string, Json>;
  const problems = Object.entries(headers)
    .filter(([name, header]) => deref(header).required === true && !answer.headers.has(name))
    .map(([name]) => `${answer.status} lacks its required ${name} header`);
  for (const sent of ['location', 'retry-after']) {
    const named = Object.keys(headers).some((name) => name.toLowerCase() === sent);
    if (answer.headers.has(sent) && !named) problems.push(`${answer.status} sends an undocumented ${sent}`);
  }
  const content = (response.content ?? {}) as Record<string, Json>;
  if (answer.body === undefined) {
    if (Object.keys(content).length > 0) problems.push(`${answer.status} documents a body, sends none`);
    return problems;
  }
  const media = (answer.headers.get('content-type') ?? 'application/json').split(';')[0]?.trim() ?? '';
  const schema = content[media]?.schema as Json | undefined;
  if (!schema) return [...problems, `${answer.status} sends a ${media} body, documents none`];
  if (media !== 'application/json') return problems;
  if (!closedValidator) {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema(closedDocument(), 'openapi.json');
    closedValidator = (checked, value) => {
      const validate = ajv.compile(anchored(checked) as Json);
      return validate(value) ? undefined : ajv.errorsText(validate.errors);
    };
  }
  const errors = closedValidator(schema, answer.body);
  return errors ? [...problems, `${answer.status} body: ${errors}`] : problems;
}
