// Regenerates openapi/openapi.json from the route decorators. CI fails when the committed file is stale.
import 'reflect-metadata';
import fs from 'node:fs/promises';
import { buildOpenApiDocument } from '../apps/api/src/openapi.js';
import { createApp } from '../apps/api/src/create-app.js';
import { loadConfig } from '../libs/config/index.js';

export async function generateOpenApiJson(): Promise<string> {
  // No database is touched: the module graph is built only to read decorators.
  const config = { ...loadConfig(), logLevel: 'silent', masterKey: Buffer.alloc(32).toString('base64') };
  const app = await createApp({
    config,
    databaseUrl: 'postgres://unused@127.0.0.1:1/unused',
    connectDatabase: false,
  });
  await app.init();
  const document = buildOpenApiDocument(app);
  await app.close();
  return JSON.stringify(document, null, 2) + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = await generateOpenApiJson();
  await fs.mkdir('openapi', { recursive: true });
  await fs.writeFile('openapi/openapi.json', json);
  process.stderr.write(`wrote openapi/openapi.json (${Object.keys(JSON.parse(json).paths).length} paths)\n`);
}
