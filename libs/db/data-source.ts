import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import { QueryCountingLogger } from './query-counter.js';

/** What TypeORM accepts as a DataSource's entities (classes or schemas). */
export type EntityList = NonNullable<DataSourceOptions['entities']>;

/**
 * The one way Berth talks to PostgreSQL: schema only through migrations, never `synchronize`. The entities
 * come from the caller (libs/platform assembles every domain's), so this lib depends on no domain.
 */
export function createDataSource(url: string, entities: EntityList): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
    // Silent as `logging: false`; counts statements for countQueries (reconcile passes say their cost).
    logger: new QueryCountingLogger(),
    // gen_random_uuid() is built into PostgreSQL 13+, so no uuid-ossp extension is needed.
    uuidExtension: 'pgcrypto',
    extra: { max: 20 },
  });
}
