import type { UsageRecord } from './usage-record.entity.js';

/** Columns of the CSV export, in order; the header row names them. */
export const USAGE_CSV_COLUMNS = [
  'id',
  'tenantId',
  'appId',
  'subjectId',
  'kind',
  'windowStart',
  'windowEnd',
  'seconds',
  'memoryMb',
  'cpuMillis',
  'planId',
  'bytesIn',
  'bytesOut',
  'createdAt',
] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, and quotes inside are doubled. */
export function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function usageCsvRow(record: UsageRecord): string {
  const values = [
    record.id,
    record.tenantId,
    record.appId,
    record.subjectId,
    record.kind,
    record.windowStart.toISOString(),
    record.windowEnd.toISOString(),
    record.seconds,
    record.memoryMb,
    record.cpuMillis,
    record.planId,
    record.bytesIn,
    record.bytesOut,
    record.createdAt.toISOString(),
  ];
  return values.map(csvField).join(',') + '\r\n';
}

/** The header row, then the rows of each batch of records as it arrives. */
export async function* usageCsv(batches: AsyncIterable<UsageRecord[]>): AsyncGenerator<string> {
  yield USAGE_CSV_COLUMNS.join(',') + '\r\n';
  for await (const batch of batches) yield batch.map(usageCsvRow).join('');
}
