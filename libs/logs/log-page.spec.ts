import { describe, expect, it } from '@jest/globals';
import type { AppLogEntryWithoutSeq } from './log-entry.js';
import { fillPage, LINE_OVERHEAD_BYTES } from './log-page.js';

function entries(count: number, textBytes: number): AppLogEntryWithoutSeq[] {
  return Array.from({ length: count }, (_, i) => ({
    timestamp: `2026-12-05T10:00:${String(i % 60).padStart(2, '0')}.000000000Z`,
    replica: 'r1',
    containerId: 'c1',
    stream: 'stdout' as const,
    text: 'x'.repeat(textBytes),
    ordinal: i,
  }));
}

async function* from(items: AppLogEntryWithoutSeq[]): AsyncGenerator<AppLogEntryWithoutSeq> {
  yield* items;
}

describe('log page bounds', () => {
  it('a page of 10,000 lines of 16 KiB stops at the byte bound and says more follow', async () => {
    const page = await fillPage(from(entries(10_000, 16 * 1024)), {
      maxLines: 10_000,
      maxBytes: 1024 * 1024,
    });
    expect(page.lines).toHaveLength(Math.floor((1024 * 1024) / (16 * 1024 + LINE_OVERHEAD_BYTES)));
    expect(page.bytes).toBeLessThanOrEqual(1024 * 1024);
    expect(page.hasMore).toBe(true);
  });

  it('stops at the line bound first when lines are short, and has no more when all fit', async () => {
    const page = await fillPage(from(entries(50, 10)), { maxLines: 20, maxBytes: 1024 * 1024 });
    expect(page.hasMore).toBe(true);
    expect(page.lines).toHaveLength(20);
    const all = await fillPage(from(entries(5, 10)), { maxLines: 20, maxBytes: 1024 * 1024 });
    expect(all.hasMore).toBe(false);
    expect(all.lines).toHaveLength(5);
  });

  it('always holds at least one line, so reading on by cursor makes progress', async () => {
    const page = await fillPage(from(entries(3, 4096)), { maxLines: 10, maxBytes: 100 });
    expect(page.lines).toHaveLength(1);
    expect(page.hasMore).toBe(true);
  });
});
