import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs/promises';
import { generateOpenApiJson } from '../scripts/generate-openapi.js';

describe('openapi/openapi.json', () => {
  it('is what the code generates (run `npm run openapi` after changing routes)', async () => {
    const committed = await fs.readFile('openapi/openapi.json', 'utf8');
    expect(await generateOpenApiJson()).toBe(committed);
  });

  it('documents every operation with a summary, responses and, for bodies, a schema', async () => {
    const doc = JSON.parse(await generateOpenApiJson());
    const problems: string[] = [];
    for (const [path, item] of Object.entries<
      Record<
        string,
        {
          summary?: string;
          responses?: object;
          requestBody?: { content: Record<string, { schema?: unknown }> };
        }
      >
    >(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!op.summary) problems.push(`${method.toUpperCase()} ${path}: no summary`);
        if (!op.responses || Object.keys(op.responses).length === 0)
          problems.push(`${method.toUpperCase()} ${path}: no responses`);
        for (const content of Object.values(op.requestBody?.content ?? {})) {
          if (!content.schema) problems.push(`${method.toUpperCase()} ${path}: body without schema`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
