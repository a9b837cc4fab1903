import {
  type AppLogEntryWithoutSeq,
  type AppLogStream,
  type LogPosition,
  compareLogPositions,
  compareTimestamps,
  normalizeTimestamp,
  parseCursor,
} from './log-entry.js';

export interface LogFilter {
  /** Lines at or after this RFC 3339 instant (nanosecond precision). */
  since?: string;
  /** Lines at or before this instant; a source is closed at its first later line. */
  until?: string;
  /** Only lines after this cursor in the merged order (what `cursorOf` gave for the last line seen). */
  after?: string;
  streams?: AppLogStream[];
  replicas?: string[];
  /** Keep only the last `tail` lines of the merged, filtered result (memory: a ring of `tail`). */
  tail?: number;
}

interface Source {
  iterator: AsyncIterator<AppLogEntryWithoutSeq>;
  head: AppLogEntryWithoutSeq | undefined;
  done: boolean;
}

/**
 * Merges finite per-replica streams, each already in time order, into one stream in time order.
 *
 * Ties go by replica id, then ordinal, then source index, so the result is in `compareLogPositions` order
 * and a cursor names an exact place in it. Only the heads of the sources are compared, so the lines of one
 * source never change their relative order, even where a source's own timestamps step back a little
 * (Docker stamps stdout and stderr separately). A linear scan over the heads picks the next line: O(k)
 * per line, fine for the handful of replicas an app has.
 *
 * Filters are checked up front (a bad `since`/`until`/`after` throws before any source is read). Sources
 * are closed (`return()`) when the merge finishes, fails, or its consumer stops early. Pass `since`,
 * `until` and a per-replica `tail` on to the engine as well: filtering here keeps the result exact, the
 * engine options keep the reads short.
 */
export function mergeByTimestamp(
  sources: AsyncIterable<AppLogEntryWithoutSeq>[],
  filter: LogFilter = {},
): AsyncGenerator<AppLogEntryWithoutSeq> {
  const since = filter.since === undefined ? undefined : normalizeTimestamp(filter.since);
  const until = filter.until === undefined ? undefined : normalizeTimestamp(filter.until);
  const after: LogPosition | undefined = filter.after === undefined ? undefined : parseCursor(filter.after);
  const { tail } = filter;
  if (tail !== undefined && !(Number.isSafeInteger(tail) && tail >= 0)) {
    throw new RangeError('tail must be a non-negative integer');
  }
  const streams = filter.streams && new Set(filter.streams);
  const replicas = filter.replicas && new Set(filter.replicas);
  const wanted = (entry: AppLogEntryWithoutSeq): boolean =>
    (!streams || streams.has(entry.stream)) &&
    (!replicas || replicas.has(entry.replica)) &&
    (since === undefined || compareTimestamps(entry.timestamp, since) >= 0) &&
    (after === undefined || compareLogPositions(entry, after) > 0);

  async function pull(source: Source): Promise<void> {
    for (;;) {
      const next = await source.iterator.next();
      if (next.done) {
        source.done = true;
        source.head = undefined;
        return;
      }
      if (until !== undefined && compareTimestamps(next.value.timestamp, until) > 0) {
        source.done = true;
        source.head = undefined;
        await source.iterator.return?.();
        return;
      }
      if (wanted(next.value)) {
        source.head = next.value;
        return;
      }
    }
  }

  async function* merged(): AsyncGenerator<AppLogEntryWithoutSeq> {
    const open: Source[] = sources.map((s) => ({
      iterator: s[Symbol.asyncIterator](),
      head: undefined,
      done: false,
    }));
    try {
      if (tail === 0) return;
      await Promise.all(open.map(pull));
      const kept = tail === undefined ? undefined : new TailBuffer<AppLogEntryWithoutSeq>(tail);
      for (;;) {
        let best: Source | undefined;
        for (const source of open) {
          if (source.head && (!best || compareLogPositions(source.head, best.head!) < 0)) best = source;
        }
        if (!best) break;
        const entry = best.head!;
        await pull(best);
        if (kept) kept.push(entry);
        else yield entry;
      }
      if (kept) yield* kept.drain();
    } finally {
      await Promise.allSettled(open.filter((s) => !s.done).map((s) => s.iterator.return?.()));
    }
  }

  return merged();
}

/** The last `capacity` items pushed, in order. */
export class TailBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity).fill(undefined);
  }

  get length(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.capacity === 0) return;
    if (this.count < this.capacity) {
      this.items[(this.start + this.count++) % this.capacity] = item;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  *drain(): Generator<T> {
    while (this.count > 0) {
      const item = this.items[this.start]!;
      this.items[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.count--;
      yield item;
    }
  }
}
