import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import { generateClientSchema, SCHEMA_FILE } from './generate-client.js';

describe('packages/client/src/schema.ts', () => {
  it('is what openapi/openapi.json generates (run `npm run client` after `npm run openapi`)', async () => {
    const committed = await fs.readFile(SCHEMA_FILE, 'utf8');
    expect(await generateClientSchema(await fs.readFile('openapi/openapi.json', 'utf8'))).toBe(committed);
  });
});
