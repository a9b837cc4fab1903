import { ReplicaRun } from './replica-run.entity.js';
import { Replica } from './replica.entity.js';

/** The runtime domain's TypeORM entities; the platform lib assembles every domain's list into the DataSource. */
export const RUNTIME_ENTITIES = [Replica, ReplicaRun];
