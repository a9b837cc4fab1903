import { describe, expect, it } from '@jest/globals';
import type { AppLogEntry } from '../logs/index.js';
import { DrainQueue } from './drain-queue.js';

function entry(n: number): AppLogEntry {
  return {
    seq: n,
    timestamp: `2026-12-05T17:00:00.${String(n).padStart(9, '0')}Z`,
    replica: 'r',
    containerId: 'c',
    stream: 'stdout',
    text: `line ${n}`,
    ordinal: 0,
  };
}

describe('DrainQueue', () => {
  it('hands lines out in order, in batches', () => {
    const queue = new DrainQueue(10);
    for (let n = 0; n < 5; n++) queue.push(entry(n));
    expect(queue.peek(3).map((e) => e.seq)).toEqual([0, 1, 2]);
    queue.remove(3);
    expect(queue.peek(3).map((e) => e.seq)).toEqual([3, 4]);
    expect(queue.length).toBe(2);
  });

  it('drops and counts lines pushed while full, never growing past its capacity', () => {
    const queue = new DrainQueue(3);
    const kept = [0, 1, 2, 3, 4].map((n) => queue.push(entry(n)));
    expect(kept).toEqual([true, true, true, false, false]);
    expect(queue.length).toBe(3);
    expect(queue.dropped).toBe(2);
    queue.remove(1);
    expect(queue.push(entry(5))).toBe(true);
    expect(queue.peek(10).map((e) => e.seq)).toEqual([1, 2, 5]);
  });

  it('counts lines the hub reported lost, and discarded batches', () => {
    const queue = new DrainQueue(10);
    queue.countDropped(7);
    for (let n = 0; n < 4; n++) queue.push(entry(n));
    queue.discard(2);
    expect(queue.dropped).toBe(9);
    expect(queue.peek(10).map((e) => e.seq)).toEqual([2, 3]);
  });

  it('stays bounded over many rounds (the sent lines are released)', () => {
    const queue = new DrainQueue(100);
    for (let round = 0; round < 50; round++) {
      for (let n = 0; n < 100; n++) queue.push(entry(round * 100 + n));
      queue.remove(100);
    }
    expect(queue.length).toBe(0);
    expect(queue.dropped).toBe(0);
  });
});
