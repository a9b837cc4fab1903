import 'reflect-metadata';
import { loadConfig } from '../../../libs/config/config.js';
import { createDataSource } from '../../../libs/db/data-source.js';
import { locateDatabase } from '../../../libs/db/database-location.js';
import { createApp } from './create-app.js';

/** `npm run up` ends here: database (embedded unless DATABASE_URL), migrations, then the API. */
async function main(): Promise<void> {
  const config = loadConfig();
  const say = (line: string) => process.stderr.write(`[berth] ${line}\n`);
  say(
    config.databaseUrl ? 'using DATABASE_URL' : `starting embedded PostgreSQL under ${config.dataDir}/pg …`,
  );
  const database = await locateDatabase(config);
  const migrator = createDataSource(database.url);
  await migrator.initialize();
  const applied = await migrator.runMigrations({ transaction: 'each' });
  await migrator.destroy();
  say(`database ready (${applied.length} migration(s) applied)`);
  const app = await createApp({ config, databaseUrl: database.url });
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as { port: number };
  say(
    `API listening on http://${config.host}:${address.port}  (Swagger UI: http://${config.host}:${address.port}/docs)`,
  );
  const stop = async () => {
    await app.close();
    await database.stop?.();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((err) => {
  process.stderr.write(`[berth] failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
