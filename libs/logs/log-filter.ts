import { ProblemError } from '../errors/index.js';
import {
  InvalidTimestampError,
  compareTimestamps,
  normalizeTimestamp,
  parseCursor,
  timestampToNanos,
} from './log-entry.js';
import type { LogFilter } from './log-merge.js';

/** Upper bound of `tail` and of a JSON page; larger reads stream as NDJSON. */
export const MAX_LOG_LINES = 10_000;

/**
 * Checks a filter before any engine is asked, turning each mistake into a 400 with a stable code:
 * `invalid_timestamp` (since/until not RFC 3339), `invalid_time_range` (since after until), `invalid_cursor`
 * (after), `invalid_tail`. Returns the filter with canonical timestamps.
 */
export function checkedLogFilter(filter: LogFilter): LogFilter {
  const checked: LogFilter = { ...filter };
  for (const field of ['since', 'until'] as const) {
    const value = filter[field];
    if (value === undefined) continue;
    try {
      checked[field] = normalizeTimestamp(value);
    } catch (error) {
      if (!(error instanceof InvalidTimestampError)) throw error;
      throw new ProblemError(
        400,
        'invalid_timestamp',
        'Bad request',
        `${field} must be an RFC 3339 timestamp, e.g. 2026-11-23T14:00:00.123456789Z`,
        { field },
      );
    }
  }
  if (checked.since && checked.until && compareTimestamps(checked.since, checked.until) > 0) {
    throw new ProblemError(400, 'invalid_time_range', 'Bad request', 'since is after until');
  }
  if (filter.after !== undefined) parseCursor(filter.after); // InvalidCursorError: 400 invalid_cursor
  const { tail } = filter;
  if (tail !== undefined && !(Number.isSafeInteger(tail) && tail >= 0 && tail <= MAX_LOG_LINES)) {
    throw new ProblemError(
      400,
      'invalid_tail',
      'Bad request',
      `tail must be an integer from 0 to ${MAX_LOG_LINES}`,
    );
  }
  return checked;
}

/** The engine's `since` for an exact timestamp: rounded down to the millisecond (never loses a line). */
export function floorToDate(timestamp: string): Date {
  return new Date(Number(timestampToNanos(timestamp) / 1_000_000n));
}

/** The engine's `until` for an exact timestamp: rounded up to the millisecond. */
export function ceilToDate(timestamp: string): Date {
  const nanos = timestampToNanos(timestamp);
  const millis = nanos / 1_000_000n + (nanos % 1_000_000n === 0n ? 0n : 1n);
  return new Date(Number(millis));
}
