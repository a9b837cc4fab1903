import { describe, expect, it, jest } from '@jest/globals';
import { LineBatch } from './line-batch.js';

function recorder() {
  const writes: string[] = [];
  return { writes, destination: { write: (text: string) => void writes.push(text) } };
}

describe('LineBatch', () => {
  it('writes the lines of one interval together, in order, once the interval is over', () => {
    jest.useFakeTimers();
    try {
      const { writes, destination } = recorder();
      const batch = new LineBatch(destination, 100);
      batch.write('a\n');
      batch.write('b\n');
      jest.advanceTimersByTime(99);
      expect(writes).toEqual([]);
      jest.advanceTimersByTime(1);
      expect(writes).toEqual(['a\nb\n']);
      batch.write('c\n');
      jest.advanceTimersByTime(100);
      expect(writes).toEqual(['a\nb\n', 'c\n']);
    } finally {
      jest.useRealTimers();
    }
  });

  it('writes a batch of 64 KiB at once, and what is pending when flushed', () => {
    const { writes, destination } = recorder();
    const batch = new LineBatch(destination, 60_000);
    const line = `${'x'.repeat(1023)}\n`;
    for (let i = 0; i < 64; i++) batch.write(line);
    expect(writes).toEqual([line.repeat(64)]);
    batch.write('tail\n');
    batch.flush();
    batch.flush();
    expect(writes).toEqual([line.repeat(64), 'tail\n']);
  });

  it('writes each line at once with an interval of 0', () => {
    const { writes, destination } = recorder();
    const batch = new LineBatch(destination, 0);
    batch.write('a\n');
    batch.write('b\n');
    expect(writes).toEqual(['a\n', 'b\n']);
  });
});
