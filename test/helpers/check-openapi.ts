import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../src/api/openapi-document';

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(JSON.parse(JSON.stringify(openApiDocument)) as object, 'openapi.json');

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** The documented path template that `path` (without query) falls under. */
function templateOf(path: string): string | undefined {
  for (const template of Object.keys(openApiDocument.paths)) {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    if (re.test(path)) return template;
  }
  return undefined;
}

/** Every answer checked so far, by `METHOD template status`: the API tests cover each documented answer they can. */
export const checkedAnswers = new Set<string>();

/**
 * Asserts that an API answer is documented in the OpenAPI document (method, path, status) and that its
 * JSON body validates against the documented schema. Every API test answer goes through this, so the
 * document cannot drift from what the relay really says.
 */
export function checkAgainstOpenApi(method: string, url: string, status: number, body: unknown): void {
  const path = new URL(url, 'http://x').pathname;
  const template = templateOf(path);
  assert.ok(template, `${path} is not in the OpenAPI document`);
  const operation = (
    openApiDocument.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>
  )[template]?.[method.toLowerCase()];
  assert.ok(operation, `${method} ${template} is not in the OpenAPI document`);
  assert.ok(operation.responses[String(status)], `${method} ${template} does not document status ${status}`);
  checkedAnswers.add(`${method.toUpperCase()} ${template} ${status}`);
  const ref = `openapi.json#/${pointer('paths', template, method.toLowerCase(), 'responses', String(status), 'content', 'application/json', 'schema')}`;
  const validate = ajv.getSchema(ref);
  if (!validate) return; // not JSON (the stream)
  assert.ok(
    validate(body),
    `${method} ${path} ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
  );
}
