import { describe, expect, it } from '@jest/globals';
import {
  type ArchivedLine,
  ArchiveQueue,
  DailyByteCap,
  isAfter,
  lineBytes,
  newestPerReplica,
} from './archive-batch.js';

const REPLICA = '00000000-0000-4000-8000-000000000001';

function line(n: number, text = `line ${n}`, replica = REPLICA): ArchivedLine {
  return {
    appId: 'app-1',
    replica,
    containerId: 'c1',
    stream: 'stdout',
    timestamp: `2026-12-05T10:00:00.${String(n).padStart(9, '0')}Z`,
    ordinal: 0,
    text,
  };
}

describe('ArchiveQueue', () => {
  it('refuses and counts items past its line bound, and takes them oldest first', () => {
    const queue = new ArchiveQueue({ maxLines: 3, maxBytes: 1_000_000 });
    const offered = [1, 2, 3, 4, 5].map((n) => queue.offer({ line: line(n) }));
    expect(offered).toEqual([true, true, true, false, false]);
    expect(queue.dropped).toBe(2);
    expect(queue.take(2).map((item) => ('line' in item ? item.line.text : ''))).toEqual(['line 1', 'line 2']);
    expect(queue.offer({ line: line(6) })).toBe(true);
    expect(queue.take(10).map((item) => ('line' in item ? item.line.text : ''))).toEqual([
      'line 3',
      'line 6',
    ]);
    expect(queue.size).toBe(0);
  });

  it('bounds the text bytes it holds (a flood of 16 KiB lines cannot grow it past maxBytes)', () => {
    const big = 'x'.repeat(16 * 1024);
    const queue = new ArchiveQueue({ maxLines: 1_000_000, maxBytes: 64 * 1024 });
    let taken = 0;
    for (let n = 0; n < 100; n += 1) if (queue.offer({ line: line(n, big) })) taken += 1;
    expect(taken).toBe(4);
    expect(queue.queuedBytes).toBe(64 * 1024);
    expect(queue.dropped).toBe(96);
    expect(queue.hasRoom(1)).toBe(false);
    queue.take(1);
    expect(queue.hasRoom(16 * 1024)).toBe(true);
    expect(queue.queuedBytes).toBe(48 * 1024);
  });

  it('keeps refusals (no text) without counting bytes', () => {
    const queue = new ArchiveQueue({ maxLines: 10, maxBytes: 1 });
    expect(queue.offer({ refused: line(1, 'long text') })).toBe(true);
    expect(queue.queuedBytes).toBe(0);
  });
});

describe('DailyByteCap', () => {
  it('keeps lines until the day allowance, then counts the rest as not kept', () => {
    const cap = new DailyByteCap();
    cap.load('app-1', '2026-12-05', 0);
    const ten = 'x'.repeat(10);
    const kept = [1, 2, 3, 4].map(() => cap.admit('app-1', '2026-12-05', lineBytes(line(0, ten)), 25));
    expect(kept).toEqual([true, true, false, false]);
    expect(cap.pending('2026-12-05')).toEqual([
      { appId: 'app-1', bytesKept: 20, linesKept: 2, linesNotKept: 2 },
    ]);
    expect(cap.pending('2026-12-05')).toEqual([]);
  });

  it('counts what an earlier process kept that day (loaded from the store)', () => {
    const cap = new DailyByteCap();
    cap.load('app-1', '2026-12-05', 95);
    expect(cap.admit('app-1', '2026-12-05', 10, 100)).toBe(false);
    expect(cap.admit('app-1', '2026-12-05', 5, 100)).toBe(true);
  });

  it('starts over on a new UTC day', () => {
    const cap = new DailyByteCap();
    cap.load('app-1', '2026-12-05', 100);
    expect(cap.admit('app-1', '2026-12-05', 1, 100)).toBe(false);
    expect(cap.admit('app-1', '2026-12-06', 1, 100)).toBe(true);
    expect(cap.pending('2026-12-06')).toEqual([
      { appId: 'app-1', bytesKept: 1, linesKept: 1, linesNotKept: 0 },
    ]);
  });

  it('puts counts back when their write failed', () => {
    const cap = new DailyByteCap();
    cap.load('app-1', '2026-12-05', 0);
    cap.admit('app-1', '2026-12-05', 7, 100);
    const counts = cap.pending('2026-12-05');
    cap.restore('2026-12-05', counts);
    expect(cap.pending('2026-12-05')).toEqual(counts);
  });
});

describe('watermark skip', () => {
  const mark = { timestamp: line(5).timestamp, replica: REPLICA, ordinal: 1 };

  it('skips lines at or before the watermark and keeps those after it, ordinal included', () => {
    expect(isAfter({ ...mark, ordinal: 0 }, mark)).toBe(false);
    expect(isAfter(mark, mark)).toBe(false);
    expect(isAfter({ ...mark, ordinal: 2 }, mark)).toBe(true);
    expect(isAfter({ ...mark, timestamp: line(4).timestamp, ordinal: 9 }, mark)).toBe(false);
    expect(isAfter({ ...mark, timestamp: line(6).timestamp, ordinal: 0 }, mark)).toBe(true);
    expect(isAfter(mark, undefined)).toBe(true);
  });

  it("a batch's newest position per replica, refusals included (the watermark may pass them)", () => {
    const other = '00000000-0000-4000-8000-000000000002';
    const newest = newestPerReplica([
      { line: line(1) },
      { line: line(3, 'x', other) },
      { refused: line(2) },
      { line: line(1, 'y', other) },
    ]);
    expect(newest.get(REPLICA)?.position.timestamp).toBe(line(2).timestamp);
    expect(newest.get(other)?.position.timestamp).toBe(line(3).timestamp);
  });
});
