import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { schemaFiles } from '../../scripts/schema-files';

describe('published JSON Schemas', () => {
  for (const [name, text] of Object.entries(schemaFiles())) {
    it(`config/${name} matches the TypeScript schema (run npm run schemas)`, () => {
      assert.equal(readFileSync(join(__dirname, '../../config', name), 'utf8'), text);
    });
  }
});
