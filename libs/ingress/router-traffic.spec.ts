import { describe, expect, it } from '@jest/globals';
import type { RouterLogMark } from '../metering/index.js';
import { canonicalTimestamp, newRequests } from './router-traffic.js';

const APP = '0b6f3c52-6f0e-4a59-9d5e-1c2f3a4b5c6d';

interface Line {
  stream: string;
  timestamp: string;
  text: string;
}

/** A router log: access lines of 1 byte in and `n` bytes out, several sharing a timestamp, plus noise. */
function routerLog(): Line[] {
  const lines: Line[] = [];
  for (let n = 1; n <= 40; n++) {
    // Docker trims trailing zeros; four lines share each instant.
    const timestamp = `2026-12-05T13:00:0${Math.floor(n / 8)}.12345${Math.floor(n / 4) % 2}Z`;
    lines.push({
      stream: 'stdout',
      timestamp,
      text: `berth-router-1 app-${APP} r-a 200 ${n} 1 1 1 id-${n} GET a.localhost /`,
    });
    if (n % 10 === 0) lines.push({ stream: 'stderr', timestamp, text: '[WARNING] something' });
  }
  return lines;
}

/** What the engine answers for `since` (rounded down to the millisecond by the caller): every later line. */
async function* since(lines: Line[], from: RouterLogMark | undefined): AsyncGenerator<Line> {
  const floor = from ? `${from.timestamp.slice(0, 23)}000000Z` : '';
  for (const line of lines) if (canonicalTimestamp(line.timestamp) >= floor) yield line;
}

describe('newRequests', () => {
  it('counts every access line exactly once over passes cut anywhere, also inside a run of equal timestamps', async () => {
    const log = routerLog();
    for (const maxLines of [1, 3, 5, 7, 1000]) {
      let mark: RouterLogMark | undefined;
      const outs: number[] = [];
      for (let pass = 0; pass < 100; pass++) {
        const { requests, last } = await newRequests(since(log, mark), {
          containerId: 'c',
          resume: mark,
          maxLines,
        });
        if (!last) break;
        outs.push(...requests.map((r) => r.bytesOut));
        mark = last;
      }
      expect(outs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    }
  });

  it('puts nine fraction digits on Docker’s timestamps, so they sort as text', () => {
    expect(canonicalTimestamp('2026-12-05T13:00:00.1Z')).toBe('2026-12-05T13:00:00.100000000Z');
    expect(canonicalTimestamp('2026-12-05T13:00:00Z')).toBe('2026-12-05T13:00:00.000000000Z');
    expect(() => canonicalTimestamp('yesterday')).toThrow(RangeError);
  });
});
