import path from 'node:path';
import type { BerthConfig } from '../config/index.js';
import { startEmbeddedDatabase } from './embedded-database.js';

export interface DatabaseLocation {
  url: string;
  /** Set when Berth started the server itself and must stop it on shutdown. */
  stop?: () => Promise<void>;
  embedded: boolean;
}

/** DATABASE_URL when configured; otherwise a real embedded PostgreSQL under the data folder. */
export async function locateDatabase(
  config: BerthConfig,
  log?: (line: string) => void,
): Promise<DatabaseLocation> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false };
  const db = await startEmbeddedDatabase({
    dir: path.join(config.dataDir, 'pg'),
    port: config.embeddedPgPort,
    database: 'berth',
    log,
  });
  return { url: db.url, stop: db.stop, embedded: true };
}
