import { Plan } from './plan.entity.js';

/** The plans domain's TypeORM entities; the platform lib assembles every domain's list into the DataSource. */
export const PLANS_ENTITIES = [Plan];
