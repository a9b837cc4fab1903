import { RouterLogPosition, RouterTraffic } from './egress.entities.js';
import { UsageMeterState } from './usage-meter-state.entity.js';
import { UsageRecord } from './usage-record.entity.js';

/** The metering domain's TypeORM entities; the platform lib assembles every domain's list into the DataSource. */
export const METERING_ENTITIES = [UsageRecord, UsageMeterState, RouterTraffic, RouterLogPosition];
