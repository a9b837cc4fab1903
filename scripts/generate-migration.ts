// Writes migrations/<timestamp>-<Name>.ts with the SQL that brings the schema in line with the entities.
// Usage: npm run migration:generate -- <Name>   (needs DATABASE_URL, or starts the embedded database)
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../libs/config/index.js';
import { createBerthDataSource } from '../libs/platform/index.js';
import { locateDatabase } from '../libs/db/index.js';

const name = process.argv[2];
if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
  console.error('usage: npm run migration:generate -- <PascalCaseName>');
  process.exit(2);
}
const config = loadConfig();
const db = await locateDatabase(config);
const dataSource = createBerthDataSource(db.url);
await dataSource.initialize();
console.log('running existing migrations…');
await dataSource.runMigrations();
const sql = await dataSource.driver.createSchemaBuilder().log();
if (sql.upQueries.length === 0) {
  console.log('schema matches the entities: no migration needed');
} else {
  const stamp = Date.now();
  const esc = (q: string) => q.replace(/\\/g, '\\\\').replace(/`/g, '\\`');
  const up = sql.upQueries.map((q) => `    await queryRunner.query(\`${esc(q.query)}\`);`).join('\n');
  const down = sql.downQueries
    .reverse()
    .map((q) => `    await queryRunner.query(\`${esc(q.query)}\`);`)
    .join('\n');
  const className = `${name}${stamp}`;
  const file = path.join('migrations', `${stamp}-${name}.ts`);
  await fs.writeFile(
    file,
    `import type { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${className} implements MigrationInterface {\n  name = '${className}';\n\n  public async up(queryRunner: QueryRunner): Promise<void> {\n${up}\n  }\n\n  public async down(queryRunner: QueryRunner): Promise<void> {\n${down}\n  }\n}\n`,
  );
  console.log(`wrote ${file} (${sql.upQueries.length} statements); add it to migrations/index.ts`);
}
await dataSource.destroy();
await db.stop?.();
