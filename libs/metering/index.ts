// The public entry of libs/metering: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { METERING_ENTITIES } from './entities.js';
export {
  EGRESS_GRACE_MS,
  EgressLedger,
  egressWindows,
  type RequestBytes,
  type RouterLogMark,
  type WindowBytes,
} from './egress-ledger.js';
export { MeterLoop } from './meter-loop.js';
export { MeteringModule } from './metering.module.js';
export { USAGE_CSV_COLUMNS, usageCsv } from './usage-csv.js';
export { UsageMeter } from './usage-meter.js';
export { UsageRecord } from './usage-record.entity.js';
export { USAGE_KINDS, type UsageKind } from './usage-windows.js';
export {
  MAX_PAGE_SIZE,
  type TenantUsageTotals,
  type UsagePage,
  type UsagePageInput,
  type UsageScope,
  UsageService,
  type UsageSums,
  type UsageTotals,
} from './usage.service.js';
