import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/** An ajv instance set up the way the relay validates events and config: all errors, formats, discriminators. */
export function createAjv(): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    discriminator: true,
    strict: true,
    strictRequired: false,
    strictTypes: false,
    useDefaults: false,
  });
  addFormats(ajv, ['date-time', 'uri']);
  return ajv;
}
