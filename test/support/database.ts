import type { DataSource } from 'typeorm';
import { createBerthDataSource } from '../../libs/platform/index.js';

/** A DataSource on this run's database with every migration applied. */
export async function migratedDataSource(): Promise<DataSource> {
  const dataSource = createBerthDataSource(process.env.DATABASE_URL!);
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'all' });
  return dataSource;
}
