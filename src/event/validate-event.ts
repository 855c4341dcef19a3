import type { ErrorObject } from 'ajv';
import { createAjv } from './create-ajv';
import { ciEventBodySchema, ciEventSchema, type CiEvent, type CiEventBody } from './ci-event-schema';
import { formatAjvErrors } from './format-ajv-errors';

const ajv = createAjv();
const checkEvent = ajv.compile<CiEvent>(ciEventSchema);
const checkBody = ajv.compile<CiEventBody>(ciEventBodySchema);

/** Problems as `path: message` lines, or an empty list when `value` is a valid CiEvent. */
export function validateEvent(value: unknown): string[] {
  return checkEvent(value) ? [] : formatAjvErrors(checkEvent.errors as ErrorObject[]);
}

/** Problems as `path: message` lines, or an empty list when `value` is a valid CiEvent body (no relay fields). */
export function validateEventBody(value: unknown): string[] {
  return checkBody(value) ? [] : formatAjvErrors(checkBody.errors as ErrorObject[]);
}
