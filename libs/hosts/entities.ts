import { Host } from './host.entity.js';

/** The hosts domain's TypeORM entities; the platform lib assembles every domain's list into the DataSource. */
export const HOSTS_ENTITIES = [Host];
