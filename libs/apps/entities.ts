import { App } from './app.entity.js';
import { IdempotencyRecord } from './idempotency-record.entity.js';
import { Release } from './release.entity.js';

/** The apps domain's TypeORM entities; the platform lib assembles every domain's list into the DataSource. */
export const APPS_ENTITIES = [App, Release, IdempotencyRecord];
