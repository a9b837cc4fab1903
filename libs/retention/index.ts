// The public entry of libs/retention: other libs, apps/, test/, bench/ and scripts/ import only from here.
export {
  RETENTION_BATCH,
  RETENTION_DELIVERY_BATCH,
  RETENTION_RUNS_PER_PASS,
  RETENTION_STATEMENTS_PER_PASS,
  Retention,
  WEBHOOK_DELIVERY_RETENTION_DAYS,
  type RetentionPassReport,
} from './retention.js';
export { RetentionModule } from './retention.module.js';
