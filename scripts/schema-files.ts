import { ciEventSchema } from '../src/event/ci-event-schema';
import { relayConfigSchema } from '../src/config/config-schema';

/** The JSON Schemas published in config/, by file name, as their text. One source: the TypeScript schemas. */
export function schemaFiles(): Record<string, string> {
  const text = (schema: object) =>
    `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...schema }, null, 2)}\n`;
  return {
    'ci-event.schema.json': text(ciEventSchema),
    'relay.schema.json': text(relayConfigSchema),
  };
}
