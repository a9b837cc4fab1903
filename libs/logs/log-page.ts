import type { AppLogEntryWithoutSeq } from './log-entry.js';

/** A JSON page holds at most this many bytes of lines, whatever its line count (10,000 × 16 KiB is 160 MiB). */
export const MAX_PAGE_BYTES = 1024 * 1024;
/** What one line costs in the page besides its text: timestamp, replica, stream, cursor and JSON punctuation. */
export const LINE_OVERHEAD_BYTES = 256;

export function pageBytesOf(entry: AppLogEntryWithoutSeq): number {
  return Buffer.byteLength(entry.text) + LINE_OVERHEAD_BYTES;
}

/**
 * Fills a page from entries in time order until `maxLines` or `maxBytes` would be passed; `hasMore` says a
 * line was left, and the caller reads on with `after` = the last line's cursor. A tail read has no line
 * bound here (the merge already kept its last N), but the byte bound still cuts it: the page holds the
 * tail's oldest lines that fit, and the rest follow after its cursor.
 */
export async function fillPage(
  entries: AsyncIterable<AppLogEntryWithoutSeq>,
  bounds: { maxLines: number; maxBytes: number },
): Promise<{ lines: AppLogEntryWithoutSeq[]; hasMore: boolean; bytes: number }> {
  const lines: AppLogEntryWithoutSeq[] = [];
  let bytes = 0;
  for await (const entry of entries) {
    const cost = pageBytesOf(entry);
    if (lines.length >= bounds.maxLines || (lines.length > 0 && bytes + cost > bounds.maxBytes)) {
      return { lines, hasMore: true, bytes }; // leaving the loop closes the engine reads
    }
    lines.push(entry);
    bytes += cost;
  }
  return { lines, hasMore: false, bytes };
}
