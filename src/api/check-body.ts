import type { TSchema } from '@sinclair/typebox';
import type { ErrorObject } from 'ajv';
import { createAjv } from '../event/create-ajv';
import { formatAjvErrors } from '../event/format-ajv-errors';
import { ApiError } from './api-error';

const ajv = createAjv();

/** A checker for request bodies of `schema`: returns the body typed, or throws a 400 naming the first problems. */
export function checkBody<T>(schema: TSchema): (body: unknown) => T {
  const validate = ajv.compile<T>(schema);
  return (body) => {
    if (body === undefined)
      throw new ApiError('bad_request', 'send a JSON body (content-type: application/json)');
    if (validate(body)) return body;
    const problems = formatAjvErrors(validate.errors as ErrorObject[], 'body');
    throw new ApiError(
      'bad_request',
      `${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
    );
  };
}
