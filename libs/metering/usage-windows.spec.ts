import { describe, expect, it } from '@jest/globals';
import { closedUntil, cutWindows, millisToSeconds, type UsageSpan } from './usage-windows.js';

const W = 60_000;
const T0 = Date.UTC(2026, 10, 23, 14, 0, 0); // a window boundary
const at = (seconds: number) => T0 + seconds * 1000;

function span(overrides: Partial<UsageSpan> = {}): UsageSpan {
  return {
    id: 'run-1',
    subjectId: 'replica-1',
    kind: 'web',
    tenantId: 'tenant-1',
    appId: 'app-1',
    planId: 'hobby',
    memoryMb: 256,
    cpuMillis: 500,
    startMs: at(0),
    stopMs: at(60),
    ...overrides,
  };
}

const options = (nowMs: number, more: Partial<Parameters<typeof cutWindows>[1]> = {}) => ({
  windowMs: W,
  nowMs,
  graceMs: 30_000,
  maxWindows: 500,
  ...more,
});

const total = (records: { millis: number }[]) => records.reduce((sum, r) => sum + r.millis, 0);

describe('cutWindows', () => {
  it('cuts a run spanning many windows into one record per window, aligned to the epoch', () => {
    const { records } = cutWindows([span({ startMs: at(0), stopMs: at(300) })], options(at(400)));
    expect(records.map((r) => [r.windowStartMs - T0, r.windowEndMs - T0, r.millis])).toEqual([
      [0, 60_000, 60_000],
      [60_000, 120_000, 60_000],
      [120_000, 180_000, 60_000],
      [180_000, 240_000, 60_000],
      [240_000, 300_000, 60_000],
    ]);
    expect(records[0]).toMatchObject({ subjectId: 'replica-1', kind: 'web', memoryMb: 256, planId: 'hobby' });
  });

  it('clips the start and the stop to the millisecond instead of rounding them', () => {
    const { records } = cutWindows([span({ startMs: at(12.345), stopMs: at(130.001) })], options(at(400)));
    expect(records.map((r) => [r.windowStartMs - T0, r.millis])).toEqual([
      [0, 47_655],
      [60_000, 60_000],
      [120_000, 10_001],
    ]);
  });

  it('sums two runs of one replica in one window into one record', () => {
    const spans = [
      span({ id: 'run-1', startMs: at(5), stopMs: at(20) }),
      span({ id: 'run-2', startMs: at(40), stopMs: at(70) }),
    ];
    const { records } = cutWindows(spans, options(at(400)));
    expect(records.map((r) => [r.subjectId, r.windowStartMs - T0, r.millis])).toEqual([
      ['replica-1', 0, 35_000],
      ['replica-1', 60_000, 10_000],
    ]);
  });

  it('keeps replicas apart: one record per replica and window', () => {
    const spans = [span({ subjectId: 'b', id: 'rb' }), span({ subjectId: 'a', id: 'ra', startMs: at(30) })];
    const { records } = cutWindows(spans, options(at(400)));
    expect(records.map((r) => [r.subjectId, r.millis])).toEqual([
      ['a', 30_000],
      ['b', 60_000],
    ]);
  });

  it('counts an open run until now, but only in closed windows (end <= now - grace)', () => {
    const now = at(200); // closed until 120 s (200 - 30 = 170 → floor 120)
    const result = cutWindows([span({ startMs: at(10), stopMs: null })], options(now));
    expect(result.closedUntilMs).toBe(at(120));
    expect(result.records.map((r) => [r.windowStartMs - T0, r.millis])).toEqual([
      [0, 50_000],
      [60_000, 60_000],
    ]);
    // Later, with the same run still open, the next windows follow and nothing is cut twice.
    const progress = new Map([['replica-1', at(120)]]);
    const later = cutWindows([span({ startMs: at(10), stopMs: null })], options(at(271), { progress }));
    expect(later.records.map((r) => [r.windowStartMs - T0, r.millis])).toEqual([
      [120_000, 60_000],
      [180_000, 60_000],
    ]);
  });

  it('counts an open run to now when now is the end of a closed window (no grace)', () => {
    const { records } = cutWindows(
      [span({ startMs: at(10), stopMs: null })],
      options(at(180), { graceMs: 0 }),
    );
    expect(total(records)).toBe(at(180) - at(10));
  });

  it('leaves a window open while it is inside the grace period, so a late stop still lands in it', () => {
    const open = cutWindows([span({ startMs: at(0), stopMs: null })], options(at(80)));
    expect(open.records.map((r) => r.windowStartMs - T0)).toEqual([]);
    // The reconciler learns 15 s late that the container stopped at 50 s: the window is still open.
    const stopped = cutWindows([span({ startMs: at(0), stopMs: at(50) })], options(at(95)));
    expect(stopped.records.map((r) => r.millis)).toEqual([50_000]);
  });

  it('is deterministic: same spans in any order give the same records', () => {
    const spans = [
      span({ id: 'r1', subjectId: 'x', startMs: at(3.5), stopMs: at(100) }),
      span({ id: 'r2', subjectId: 'x', startMs: at(110), stopMs: null }),
      span({ id: 'r3', subjectId: 'y', kind: 'lb', startMs: at(0), stopMs: at(500) }),
      span({ id: 'b1', subjectId: 'z', kind: 'build', startMs: at(61), stopMs: at(62) }),
    ];
    const a = cutWindows(spans, options(at(600)));
    const b = cutWindows([...spans].reverse(), options(at(600)));
    expect(b).toEqual(a);
    expect(cutWindows(spans, options(at(600)))).toEqual(a);
  });

  it('takes a window’s size and plan from the run that ran longest in it', () => {
    const spans = [
      span({ id: 'r1', startMs: at(0), stopMs: at(10), memoryMb: 128, planId: 'free' }),
      span({ id: 'r2', startMs: at(20), stopMs: at(60), memoryMb: 512, planId: 'pro' }),
    ];
    const [record] = cutWindows(spans, options(at(400))).records;
    expect(record).toMatchObject({ millis: 50_000, memoryMb: 512, planId: 'pro' });
  });

  it('sums a run to exactly its duration (2 min 7.5 s across 4 windows)', () => {
    const start = at(55.25);
    const stop = start + 127_500;
    const { records } = cutWindows([span({ startMs: start, stopMs: stop })], options(at(1000)));
    expect(records).toHaveLength(4);
    expect(total(records)).toBe(127_500);
    expect(millisToSeconds(total(records))).toBe('127.500');
  });

  it('sums every run of random lengths to exactly its duration', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31) * 1;
    for (let i = 0; i < 200; i += 1) {
      const start = T0 + Math.floor(random() * 10_000_000);
      const stop = start + Math.floor(random() * 3_600_000);
      const { records } = cutWindows([span({ startMs: start, stopMs: stop })], options(stop + 120_000));
      expect(total(records)).toBe(stop - start);
      for (const r of records) {
        expect(r.windowStartMs % W).toBe(0);
        expect(r.millis).toBeGreaterThan(0);
        expect(r.millis).toBeLessThanOrEqual(W);
      }
    }
  });

  it('yields no record for a zero-length run', () => {
    expect(cutWindows([span({ startMs: at(30), stopMs: at(30) })], options(at(400))).records).toEqual([]);
  });

  it('never cuts again before the subject’s progress, and a catch-up is spread over bounded calls', () => {
    const run = span({ startMs: at(0), stopMs: null });
    const now = at(0) + 10 * W + 30_000;
    const first = cutWindows([run], options(now, { maxWindows: 4 }));
    expect(first.records.map((r) => (r.windowStartMs - T0) / W)).toEqual([0, 1, 2, 3]);
    expect(first.caughtUp).toBe(false);
    expect(first.settledMs).toBe(at(240));
    const progress = new Map([['replica-1', at(240)]]);
    const second = cutWindows([run], options(now, { maxWindows: 4, progress }));
    expect(second.records.map((r) => (r.windowStartMs - T0) / W)).toEqual([4, 5, 6, 7]);
    const third = cutWindows(
      [run],
      options(now, { maxWindows: 4, progress: new Map([['replica-1', at(480)]]) }),
    );
    expect(third.records.map((r) => (r.windowStartMs - T0) / W)).toEqual([8, 9]);
    expect(third.caughtUp).toBe(true);
    expect(third.settledMs).toBe(third.closedUntilMs);
  });

  it('settles only up to the progress of a stopped run that is not completely cut yet', () => {
    const behind = span({ id: 'old', subjectId: 'late', startMs: at(0), stopMs: at(900) });
    const current = span({ id: 'now', subjectId: 'other', startMs: at(0), stopMs: null });
    const result = cutWindows([behind, current], options(at(2000), { maxWindows: 5 }));
    expect(result.settledMs).toBe(at(300));
    expect(result.caughtUp).toBe(false);
  });
});

describe('closedUntil and millisToSeconds', () => {
  it('closes windows whose end is at least grace ago', () => {
    expect(closedUntil(at(90), 30_000, W)).toBe(at(60));
    expect(closedUntil(at(89.999), 30_000, W)).toBe(at(0));
  });

  it('formats milliseconds as exact decimal seconds', () => {
    expect(millisToSeconds(0)).toBe('0.000');
    expect(millisToSeconds(7)).toBe('0.007');
    expect(millisToSeconds(60_000)).toBe('60.000');
    expect(millisToSeconds(127_500)).toBe('127.500');
  });
});
