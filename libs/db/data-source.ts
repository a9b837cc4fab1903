import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import { ENTITIES } from './entities.js';

/** The one way Berth talks to PostgreSQL: schema only through migrations, never `synchronize`. */
export function createDataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
    // gen_random_uuid() is built into PostgreSQL 13+, so no uuid-ossp extension is needed.
    uuidExtension: 'pgcrypto',
    extra: { max: 20 },
  });
}
