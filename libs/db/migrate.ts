import type { DataSource, Migration } from 'typeorm';
import { LOCK_KEYS } from '../control-loop/index.js';

/**
 * Runs the pending migrations while holding an advisory lock, so API processes that start together on one
 * database migrate one after the other (TypeORM takes no lock of its own): the first applies them, the
 * others then find nothing pending.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [LOCK_KEYS.migrations]);
    return await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [LOCK_KEYS.migrations]).catch(() => undefined);
    await runner.release();
  }
}
