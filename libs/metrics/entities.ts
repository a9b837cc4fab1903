import { ReplicaSample } from './replica-sample.entity.js';

/** The metrics domain's TypeORM entities; the platform lib assembles every domain's list into the DataSource. */
export const METRICS_ENTITIES = [ReplicaSample];
