import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { RefusalWindow } from './refusal-window.js';

describe('RefusalWindow', () => {
  let now = 0;
  let written: { data: string; refusals: number }[];
  const window = (maxKeys = 100) =>
    new RefusalWindow<string>({
      windowMs: 1000,
      maxKeys,
      now: () => now,
      write: (data, refusals) => {
        written.push({ data, refusals });
        return Promise.resolve();
      },
    });

  beforeEach(() => {
    jest.useFakeTimers();
    now = 0;
    written = [];
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const advance = (ms: number) => {
    now += ms;
    jest.advanceTimersByTime(ms);
  };

  it('writes the first refusal at once and folds a flood into one more event that counts it', () => {
    const refusals = window();
    expect(refusals.record('t/a/replicas', 'r0')).toBeInstanceOf(Promise);
    for (let i = 1; i <= 500; i++) expect(refusals.record('t/a/replicas', `r${i}`)).toBeUndefined();
    expect(written).toEqual([{ data: 'r0', refusals: 1 }]);
    advance(1000);
    expect(written).toEqual([
      { data: 'r0', refusals: 1 },
      { data: 'r500', refusals: 500 },
    ]);
    // The next window starts with a write of its own again.
    expect(refusals.record('t/a/replicas', 'next')).toBeInstanceOf(Promise);
    expect(written.at(-1)).toEqual({ data: 'next', refusals: 1 });
    // Every refusal is counted exactly once.
    expect(written.reduce((sum, event) => sum + event.refusals, 0)).toBe(502);
  });

  it('writes nothing more for a lone refusal, and keeps keys apart', () => {
    const refusals = window();
    refusals.record('t1/a/replicas', 'x');
    refusals.record('t2/a/replicas', 'y');
    refusals.record('t1/a/memory', 'z');
    advance(5000);
    expect(written.map((event) => event.data)).toEqual(['x', 'y', 'z']);
    expect(written.every((event) => event.refusals === 1)).toBe(true);
  });

  it('flushes the oldest window early when it tracks too many keys, losing no count', () => {
    const refusals = window(2);
    refusals.record('a', 'a0');
    refusals.record('a', 'a1');
    refusals.record('b', 'b0');
    refusals.record('c', 'c0'); // evicts a, whose pending refusal is written now
    expect(written).toEqual([
      { data: 'a0', refusals: 1 },
      { data: 'b0', refusals: 1 },
      { data: 'a1', refusals: 1 },
      { data: 'c0', refusals: 1 },
    ]);
    expect(refusals.size).toBe(2);
    advance(1000);
    expect(written).toHaveLength(4);
  });

  it('writes what every window counted on shutdown', async () => {
    const refusals = window();
    refusals.record('a', 'a0');
    refusals.record('a', 'a1');
    refusals.record('a', 'a2');
    await refusals.flushAll();
    expect(written).toEqual([
      { data: 'a0', refusals: 1 },
      { data: 'a2', refusals: 2 },
    ]);
    expect(refusals.size).toBe(0);
  });
});
