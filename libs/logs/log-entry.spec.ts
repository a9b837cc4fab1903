import { describe, expect, it } from '@jest/globals';
import type { LogLine } from '../engine/index.js';
import {
  type SourceLogLine,
  InvalidCursorError,
  InvalidTimestampError,
  OrdinalCounter,
  compareLogPositions,
  compareTimestamps,
  cursorOf,
  limitTextBytes,
  nanosToTimestamp,
  normalizeTimestamp,
  parseCursor,
  timestampToNanos,
  toAppEntries,
} from './log-entry.js';

// The engine's LogLine must stay assignable to what this lib reads: this line stops compiling if it drifts.
const engineLineFits: (line: LogLine) => SourceLogLine = (line) => line;

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('timestamps', () => {
  it('tells apart lines one nanosecond apart, which Date cannot', () => {
    const a = '2026-11-23T14:00:00.123456788Z';
    const b = '2026-11-23T14:00:00.123456789Z';
    expect(Date.parse(a)).toBe(Date.parse(b));
    expect(timestampToNanos(b) - timestampToNanos(a)).toBe(1n);
    expect(compareTimestamps(a, b)).toBeLessThan(0);
    expect(compareTimestamps(b, a)).toBeGreaterThan(0);
    expect(compareTimestamps(a, a)).toBe(0);
  });

  it('compares by instant, not by text, when fraction lengths or offsets differ', () => {
    // As text '.1Z' sorts after '.123Z' and '00Z' after '00.5Z'; as instants it is the other way round.
    expect(compareTimestamps('2026-11-23T14:00:00.1Z', '2026-11-23T14:00:00.123Z')).toBeLessThan(0);
    expect(compareTimestamps('2026-11-23T14:00:00Z', '2026-11-23T14:00:00.5Z')).toBeLessThan(0);
    expect(compareTimestamps('2026-11-23T15:00:00.5+01:00', '2026-11-23T14:00:00.500000000Z')).toBe(0);
    expect(compareTimestamps('2026-11-23T13:59:59.999999999-00:00', '2026-11-23T14:00:00Z')).toBeLessThan(0);
  });

  it('normalizes to UTC with nine fraction digits', () => {
    expect(normalizeTimestamp('2026-11-23T15:30:00.5+01:30')).toBe('2026-11-23T14:00:00.500000000Z');
    expect(normalizeTimestamp('2024-02-29t23:59:59z')).toBe('2024-02-29T23:59:59.000000000Z');
    expect(normalizeTimestamp('2027-01-01T00:30:00.000000001+01:00')).toBe('2026-12-31T23:30:00.000000001Z');
    const canonical = '2026-11-23T14:00:00.123456789Z';
    expect(normalizeTimestamp(canonical)).toBe(canonical);
  });

  it('agrees with Date to the millisecond on a spread of instants, and round-trips exactly', () => {
    for (let i = 0; i < 2000; i++) {
      const ms = Math.floor((i * 7_919_393_113) % 9_000_000_000_000) - 1_000_000_000_000; // 1938..2255
      const nanos = BigInt(ms) * 1_000_000n + BigInt((i * 104_729) % 1_000_000);
      const text = nanosToTimestamp(nanos);
      expect(text.slice(0, 23)).toBe(new Date(ms).toISOString().slice(0, 23));
      expect(timestampToNanos(text)).toBe(nanos);
    }
  });

  it('checks the calendar of each new second, however many valid lines of another second came just before', () => {
    expect(normalizeTimestamp('2026-02-28T23:59:59.000000001Z')).toBe('2026-02-28T23:59:59.000000001Z');
    expect(normalizeTimestamp('2026-02-28T23:59:59.000000002Z')).toBe('2026-02-28T23:59:59.000000002Z');
    expect(() => normalizeTimestamp('2026-02-29T00:00:00.000000000Z')).toThrow(InvalidTimestampError);
    expect(() => normalizeTimestamp('2026-02-28T23:59:60.000000000Z')).toThrow(InvalidTimestampError);
  });

  it('refuses what is not an RFC 3339 instant', () => {
    for (const bad of [
      '',
      'yesterday',
      '2026-02-29T00:00:00Z', // not a leap year
      '2026-13-01T00:00:00Z',
      '2026-11-23T24:00:00Z',
      '2026-11-23T23:59:60Z', // leap second: Docker never writes one
      '2026-11-23T14:00:00.1234567891Z', // ten fraction digits
      '2026-11-23T14:00:00', // no offset
      '2026-11-23T14:00:00+25:00',
    ]) {
      expect(() => timestampToNanos(bad)).toThrow(InvalidTimestampError);
    }
  });
});

describe('positions and ordinals', () => {
  it('orders by timestamp, then replica, then ordinal', () => {
    const t = '2026-11-23T14:00:00.000000001Z';
    const u = '2026-11-23T14:00:00.000000002Z';
    const sorted = [
      { timestamp: t, replica: 'a', ordinal: 0 },
      { timestamp: t, replica: 'a', ordinal: 1 },
      { timestamp: t, replica: 'b', ordinal: 0 },
      { timestamp: u, replica: 'a', ordinal: 0 },
    ];
    const shuffled = [sorted[3], sorted[1], sorted[2], sorted[0]];
    expect(shuffled.sort(compareLogPositions)).toEqual(sorted);
  });

  it('numbers consecutive lines sharing a timestamp', () => {
    const counter = new OrdinalCounter();
    const t = '2026-11-23T14:00:00.000000001Z';
    const u = '2026-11-23T14:00:00.000000002Z';
    expect([t, t, t, u, u, t].map((ts) => counter.next(ts))).toEqual([0, 1, 2, 0, 1, 0]);
  });

  it('turns engine lines into entries with normalized timestamps and ordinals', async () => {
    async function* lines(): AsyncGenerator<LogLine> {
      yield { stream: 'stdout', timestamp: '2026-11-23T14:00:00.5Z', text: 'a' };
      yield { stream: 'stderr', timestamp: '2026-11-23T14:00:00.500000000Z', text: 'b' };
      yield { stream: 'stdout', timestamp: '2026-11-23T14:00:01Z', text: 'x'.repeat(100) };
    }
    const entries = await collect(
      toAppEntries(lines(), { replica: 'r1', containerId: 'c1', maxLineBytes: 40 }),
    );
    expect(entries.map((e) => [e.timestamp, e.stream, e.ordinal])).toEqual([
      ['2026-11-23T14:00:00.500000000Z', 'stdout', 0],
      ['2026-11-23T14:00:00.500000000Z', 'stderr', 1],
      ['2026-11-23T14:00:01.000000000Z', 'stdout', 0],
    ]);
    expect(entries[0]).toMatchObject({ replica: 'r1', containerId: 'c1', text: 'a' });
    expect(Buffer.byteLength(entries[2].text)).toBeLessThanOrEqual(40);
    expect(entries[2].text).toMatch(/^x+ \[truncated, 100 bytes\]$/);
    expect(engineLineFits).toBeDefined();
  });

  it('cuts long text on a character boundary within the byte budget', () => {
    const text = 'é'.repeat(50); // 100 bytes
    for (const max of [0, 1, 10, 27, 30, 31, 99]) {
      const cut = limitTextBytes(text, max);
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(max);
      expect(cut).not.toContain('\uFFFD');
    }
    expect(limitTextBytes(text, 100)).toBe(text);
  });
});

describe('cursors', () => {
  const entry = { seq: 42, timestamp: '2026-11-23T14:00:00.123456789Z', replica: 'r-1', ordinal: 3 };

  it('round-trips timestamp, replica, ordinal and seq, as opaque base64url', () => {
    const cursor = cursorOf(entry);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(parseCursor(cursor)).toEqual(entry);
    expect(parseCursor(cursorOf({ ...entry, seq: undefined }))).toEqual({ ...entry, seq: undefined });
  });

  it('packs the usual position in about 52 characters, and still reads the JSON form (version 1)', () => {
    const replica = '0b8e7a52-3c1d-4f6e-9a0b-1c2d3e4f5a6b';
    const live = { ...entry, replica, seq: 1_764_950_000_000_123 };
    const cursor = cursorOf(live);
    expect(cursor.length).toBeLessThanOrEqual(52);
    expect(parseCursor(cursor)).toEqual(live);
    expect(parseCursor(cursorOf({ ...live, seq: undefined }))).toEqual({ ...live, seq: undefined });
    expect(parseCursor(cursorOf({ ...entry, replica: 'router-é-1' }))).toEqual({
      ...entry,
      replica: 'router-é-1',
    });
    const v1 = Buffer.from(JSON.stringify([1, entry.timestamp, replica, 3, 42])).toString('base64url');
    expect(parseCursor(v1)).toEqual({ ...entry, replica });
  });

  it('falls back to the JSON form for what does not pack (before 1970, a huge ordinal), and reads it back', () => {
    for (const odd of [
      { ...entry, timestamp: '1969-12-31T23:59:59.999999999Z' },
      { ...entry, ordinal: 2 ** 32 },
    ]) {
      const cursor = cursorOf(odd);
      expect(JSON.parse(Buffer.from(cursor, 'base64url').toString())[0]).toBe(1);
      expect(parseCursor(cursor)).toEqual(odd);
    }
  });

  it('refuses a packed cursor that was tampered with', () => {
    const bytes = Buffer.from(
      cursorOf({ ...entry, replica: '0b8e7a52-3c1d-4f6e-9a0b-1c2d3e4f5a6b' }),
      'base64url',
    );
    const tampered = (change: (b: Buffer) => Buffer) => change(Buffer.from(bytes)).toString('base64url');
    for (const bad of [
      tampered((b) => b.subarray(0, 30)), // cut
      tampered((b) => (b.writeUInt32BE(1_000_000_000, 6), b)), // nanoseconds past a second
      tampered((b) => ((b[22] = 7), b)), // unknown replica kind
      tampered((b) => ((b[22] = 0), b)), // a UUID's bytes read as text
    ]) {
      expect(() => parseCursor(bad)).toThrow(InvalidCursorError);
    }
  });

  it('names lines that share a timestamp apart', () => {
    expect(cursorOf({ ...entry, ordinal: 0 })).not.toBe(cursorOf({ ...entry, ordinal: 1 }));
  });

  it('normalizes the timestamp it stores', () => {
    const cursor = cursorOf({ ...entry, timestamp: '2026-11-23T15:00:00.123456789+01:00' });
    expect(parseCursor(cursor).timestamp).toBe(entry.timestamp);
  });

  it('rejects anything it did not issue with a 400 problem', () => {
    const encode = (payload: unknown) => Buffer.from(JSON.stringify(payload)).toString('base64url');
    for (const bad of [
      '',
      'not a cursor!',
      'x'.repeat(2000),
      Buffer.from('{"t":1').toString('base64url'),
      encode([2, entry.timestamp, 'r', 0, null]),
      encode([1, '2026-11-23T14:00:00Z', 'r', 0, null]), // not canonical
      encode([1, '2026-02-30T14:00:00.000000000Z', 'r', 0, null]),
      encode([1, entry.timestamp, 7, 0, null]),
      encode([1, entry.timestamp, 'r', -1, null]),
      encode([1, entry.timestamp, 'r', 0.5, null]),
      encode([1, entry.timestamp, 'r', 0, 0]),
      encode([1, entry.timestamp, 'r', 0, '5']),
      encode({ t: entry.timestamp }),
    ]) {
      let caught: unknown;
      try {
        parseCursor(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidCursorError);
      expect(caught).toMatchObject({ status: 400, code: 'invalid_cursor' });
    }
  });
});
