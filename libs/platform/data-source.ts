import type { DataSource } from 'typeorm';
import { createDataSource } from '../db/index.js';
import { ENTITIES } from './entities.js';

/** Berth's DataSource with every domain's entities: what migrations run on and what the schema is diffed against. */
export function createBerthDataSource(url: string): DataSource {
  return createDataSource(url, ENTITIES);
}
