import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfig } from '../../../libs/config/index.js';
import { WorkerModule } from './worker.module.js';

/**
 * `node dist/apps/worker/src/main.js`: runs the control loops in a process of their own, next to one or
 * more API processes started with BERTH_RUN_WORKERS=false. Needs DATABASE_URL (a shared PostgreSQL).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.databaseUrl)
    throw new Error('the worker needs DATABASE_URL (the API process owns the embedded database)');
  const app = await NestFactory.createApplicationContext(
    WorkerModule.forRoot({ config, databaseUrl: config.databaseUrl }),
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  process.stderr.write('[berth-worker] control loops running\n');
}

main().catch((err) => {
  process.stderr.write(`[berth-worker] failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
