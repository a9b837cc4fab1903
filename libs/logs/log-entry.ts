import { ProblemError } from '../errors/index.js';
import { COMPACT_CURSOR_VERSION, packPosition, unpackPosition } from './cursor-codec.js';

/** `router`: the edge router's access line of a request to the app (libs/ingress router-logs.ts). */
export type AppLogStream = 'stdout' | 'stderr' | 'system' | 'router';

/**
 * One line of an app's log as clients see it. `timestamp` is always normalized (UTC, nine fraction
 * digits, `2026-11-23T14:00:00.123456789Z`), so two timestamps compare exactly as strings.
 */
export interface AppLogEntry {
  /** Position in the app's live ring (monotonic per ring); 0 where no ring assigned one (REST). */
  seq: number;
  timestamp: string;
  /** Replica id. */
  replica: string;
  containerId: string;
  stream: AppLogStream;
  text: string;
  /**
   * 0-based index of this line among its replica's consecutive lines carrying the same timestamp. With
   * timestamp and replica it names one line: it comes from the replica's own log, so REST and WebSocket,
   * and two api processes, give the same line the same position.
   */
  ordinal: number;
}

export type AppLogEntryWithoutSeq = Omit<AppLogEntry, 'seq'>;

/** What the engine yields (structurally the engine's `LogLine`; kept local so this lib stays engine-agnostic). */
export interface SourceLogLine {
  stream: 'stdout' | 'stderr' | 'router';
  /** RFC 3339 with up to nine fraction digits. */
  timestamp: string;
  text: string;
}

/** Where a line sits in an app's log; the part of an entry a cursor names. */
export interface LogPosition {
  timestamp: string;
  replica: string;
  ordinal: number;
}

// ---------------------------------------------------------------- timestamps (exact, never through Date)

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/;
const NANOS_PER_SECOND = 1_000_000_000n;
const SECONDS_PER_DAY = 86_400n;

export class InvalidTimestampError extends RangeError {
  constructor(readonly timestamp: string) {
    super(`Not an RFC 3339 timestamp: '${timestamp.slice(0, 60)}'`);
    this.name = 'InvalidTimestampError';
  }
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, doy - Math.floor((153 * mp + 2) / 5) + 1];
}

function validFields(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): boolean {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  if (month !== 2) return day <= (month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31);
  return day <= (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28);
}

/** The date and time (to the second) of the last canonical timestamp whose fields were checked. */
let lastCheckedSecond = '';

/**
 * Already canonical and a real instant (the hot path: what Docker sends; no BigInt needed). A log's lines
 * come many to a second: the calendar check is skipped for the second checked last.
 */
function isCanonical(timestamp: string): boolean {
  if (!CANONICAL.test(timestamp)) return false;
  if (timestamp.startsWith(lastCheckedSecond) && lastCheckedSecond !== '') return true;
  const field = (from: number, to: number) => Number(timestamp.slice(from, to));
  if (!validFields(field(0, 4), field(5, 7), field(8, 10), field(11, 13), field(14, 16), field(17, 19)))
    return false;
  lastCheckedSecond = timestamp.slice(0, 19);
  return true;
}

/**
 * Nanoseconds since the Unix epoch, exactly. Accepts any offset and 0–9 fraction digits; refuses leap
 * seconds (:60), which Docker never writes, so string and numeric order always agree.
 */
export function timestampToNanos(timestamp: string): bigint {
  const m = RFC3339.exec(timestamp);
  if (!m) throw new InvalidTimestampError(timestamp);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (!validFields(year, month, day, hour, minute, second)) throw new InvalidTimestampError(timestamp);
  let offsetSeconds = 0;
  if (!m[8]) {
    const [offsetHours, offsetMinutes] = [Number(m[10]), Number(m[11])];
    if (offsetHours > 23 || offsetMinutes > 59) throw new InvalidTimestampError(timestamp);
    offsetSeconds = (m[9] === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  }
  const seconds =
    BigInt(daysFromCivil(year, month, day)) * SECONDS_PER_DAY +
    BigInt(hour * 3600 + minute * 60 + second - offsetSeconds);
  return seconds * NANOS_PER_SECOND + BigInt((m[7] ?? '').padEnd(9, '0'));
}

/** The canonical form: UTC, `Z`, nine fraction digits. Throws InvalidTimestampError. */
export function nanosToTimestamp(nanos: bigint): string {
  let seconds = nanos / NANOS_PER_SECOND;
  let fraction = nanos % NANOS_PER_SECOND;
  if (fraction < 0n) [seconds, fraction] = [seconds - 1n, fraction + NANOS_PER_SECOND];
  let days = seconds / SECONDS_PER_DAY;
  let secondOfDay = seconds % SECONDS_PER_DAY;
  if (secondOfDay < 0n) [days, secondOfDay] = [days - 1n, secondOfDay + SECONDS_PER_DAY];
  const [year, month, day] = civilFromDays(Number(days));
  if (year < 0 || year > 9999) throw new InvalidTimestampError(`${nanos}ns`);
  const sod = Number(secondOfDay);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T` +
    `${two(Math.floor(sod / 3600))}:${two(Math.floor(sod / 60) % 60)}:${two(sod % 60)}.` +
    `${String(fraction).padStart(9, '0')}Z`
  );
}

/** Canonical form of any RFC 3339 timestamp (already canonical ones are checked and returned as they are). */
export function normalizeTimestamp(timestamp: string): string {
  return isCanonical(timestamp) ? timestamp : nanosToTimestamp(timestampToNanos(timestamp));
}

/** Negative, 0 or positive, at nanosecond precision, whatever the offsets and fraction lengths. */
export function compareTimestamps(a: string, b: string): number {
  if (CANONICAL.test(a) && CANONICAL.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const [x, y] = [timestampToNanos(a), timestampToNanos(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The order of an app's log: timestamp, then replica id, then ordinal. */
export function compareLogPositions(a: LogPosition, b: LogPosition): number {
  return (
    compareTimestamps(a.timestamp, b.timestamp) ||
    (a.replica < b.replica ? -1 : a.replica > b.replica ? 1 : 0) ||
    a.ordinal - b.ordinal
  );
}

export function samePosition(a: LogPosition, b: LogPosition): boolean {
  return a.ordinal === b.ordinal && a.replica === b.replica && a.timestamp === b.timestamp;
}

// ---------------------------------------------------------------- turning engine lines into entries

/** Hands out ordinals for one replica's lines, which must be fed in the replica's order. */
export class OrdinalCounter {
  private lastTimestamp: string | undefined;
  private count = 0;

  /** `timestamp` must be normalized. */
  next(timestamp: string): number {
    if (timestamp === this.lastTimestamp) return ++this.count;
    this.lastTimestamp = timestamp;
    this.count = 0;
    return 0;
  }
}

/**
 * Cuts `text` to at most `maxBytes` UTF-8 bytes (on a character boundary), ending it with a note of how
 * much was cut, so one giant line cannot blow a byte budget.
 */
export function limitTextBytes(text: string, maxBytes: number): string {
  if (text.length <= maxBytes / 3) return text; // 3 bytes per UTF-16 unit at most
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  const note = ` [truncated, ${bytes.length} bytes]`;
  let cut = Math.max(0, maxBytes - Buffer.byteLength(note));
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return bytes.toString('utf8', 0, cut) + note.slice(0, maxBytes - cut);
}

/** One replica's engine lines as app entries: normalized timestamp, ordinal, text cut to `maxLineBytes`. */
export async function* toAppEntries(
  lines: AsyncIterable<SourceLogLine>,
  source: { replica: string; containerId: string; maxLineBytes?: number },
): AsyncGenerator<AppLogEntryWithoutSeq> {
  const ordinals = new OrdinalCounter();
  const maxLineBytes = source.maxLineBytes ?? Infinity;
  for await (const line of lines) {
    const timestamp = normalizeTimestamp(line.timestamp);
    yield {
      timestamp,
      replica: source.replica,
      containerId: source.containerId,
      stream: line.stream,
      text: limitTextBytes(line.text, maxLineBytes),
      ordinal: ordinals.next(timestamp),
    };
  }
}

// ---------------------------------------------------------------- cursors

/** A parsed cursor. `seq` is where the line sat in the live ring that issued the cursor, when one did. */
export interface LogCursor extends LogPosition {
  seq: number | undefined;
}

export class InvalidCursorError extends ProblemError {
  constructor(detail = 'The cursor is not one this API issued') {
    super(400, 'invalid_cursor', 'Bad request', detail);
    this.name = 'InvalidCursorError';
  }
}

const CURSOR_VERSION = 1;
const MAX_CURSOR_LENGTH = 1024;

/**
 * An opaque cursor naming `entry`: base64url of its timestamp, replica, ordinal and, if any, ring seq; packed
 * in bytes (cursor-codec.ts, version 2) when they fit, else as JSON (version 1). Both forms are accepted.
 */
export function cursorOf(entry: LogPosition & { seq?: number }): string {
  const seq = entry.seq !== undefined && entry.seq > 0 ? entry.seq : null;
  const timestamp = normalizeTimestamp(entry.timestamp);
  const packed = packPosition({ timestamp, replica: entry.replica, ordinal: entry.ordinal, seq });
  if (packed) return packed.toString('base64url');
  const payload = [CURSOR_VERSION, timestamp, entry.replica, entry.ordinal, seq];
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

/** Throws InvalidCursorError (a 400 problem) for anything cursorOf did not produce. */
export function parseCursor(cursor: string): LogCursor {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new InvalidCursorError();
  }
  const bytes = Buffer.from(cursor, 'base64url');
  if (bytes[0] === COMPACT_CURSOR_VERSION) {
    const position = unpackPosition(bytes);
    // One text per cursor: what does not encode back to the same text is not one cursorOf gave.
    if (!position || !isCanonical(position.timestamp) || bytes.toString('base64url') !== cursor) {
      throw new InvalidCursorError();
    }
    return { ...position, seq: position.seq ?? undefined };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(payload) || payload.length !== 5 || payload[0] !== CURSOR_VERSION)
    throw new InvalidCursorError();
  const [, timestamp, replica, ordinal, seq] = payload as unknown[];
  const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  if (typeof timestamp !== 'string' || !isCanonical(timestamp) || typeof replica !== 'string') {
    throw new InvalidCursorError();
  }
  if (!isCount(ordinal) || (seq !== null && !(isCount(seq) && seq > 0))) throw new InvalidCursorError();
  return { timestamp, replica, ordinal, seq: seq ?? undefined };
}
