import { describe, expect, it } from '@jest/globals';
import { type AppLogEntryWithoutSeq, type SourceLogLine, cursorOf, toAppEntries } from './log-entry.js';
import { type LogFilter, TailBuffer, mergeByTimestamp } from './log-merge.js';

const T = (nanos: number) => `2026-11-23T14:00:00.${String(nanos).padStart(9, '0')}Z`;

/** A finite source for `replica` that records whether it was closed and how far it was read. */
function source(replica: string, lines: [nanos: number, text: string, stream?: 'stdout' | 'stderr'][]) {
  const state = { closed: false, read: 0 };
  async function* raw(): AsyncGenerator<SourceLogLine> {
    try {
      for (const [nanos, text, stream = 'stdout'] of lines) {
        state.read++;
        yield { stream, timestamp: T(nanos), text };
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, entries: toAppEntries(raw(), { replica, containerId: `c-${replica}` }) };
}

async function merge(sources: AsyncIterable<AppLogEntryWithoutSeq>[], filter?: LogFilter): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of mergeByTimestamp(sources, filter)) out.push(entry.text);
  return out;
}

/** Three replicas with equal timestamps across them, nanosecond differences, and a tie inside one. */
function threeReplicas() {
  return [
    source('r2', [
      [1, 'r2@1'],
      [3, 'r2@3'],
      [3, 'r2@3#2', 'stderr'],
      [9, 'r2@9'],
    ]),
    source('r1', [
      [1, 'r1@1'],
      [2, 'r1@2'],
      [3, 'r1@3', 'stderr'],
      [10, 'r1@10'],
    ]),
    source('r3', [
      [0, 'r3@0'],
      [3, 'r3@3'],
      [4, 'r3@4'],
    ]),
  ];
}
const ALL = ['r3@0', 'r1@1', 'r2@1', 'r1@2', 'r1@3', 'r2@3', 'r2@3#2', 'r3@3', 'r3@4', 'r2@9', 'r1@10'];

describe('mergeByTimestamp', () => {
  it('orders three replicas by timestamp to the nanosecond, ties by replica then ordinal', async () => {
    expect(await merge(threeReplicas().map((s) => s.entries))).toEqual(ALL);
  });

  it('keeps each replica in its own order even where its timestamps step back', async () => {
    const a = source('a', [
      [5, 'a1'],
      [4, 'a2'],
      [6, 'a3'],
    ]);
    const b = source('b', [
      [4, 'b1'],
      [5, 'b2'],
    ]);
    expect(await merge([a.entries, b.entries])).toEqual(['b1', 'a1', 'a2', 'b2', 'a3']);
  });

  it('keeps the last n lines of the merged result', async () => {
    expect(
      await merge(
        threeReplicas().map((s) => s.entries),
        { tail: 3 },
      ),
    ).toEqual(ALL.slice(-3));
    expect(
      await merge(
        threeReplicas().map((s) => s.entries),
        { tail: 100 },
      ),
    ).toEqual(ALL);
    const sources = threeReplicas();
    expect(
      await merge(
        sources.map((s) => s.entries),
        { tail: 0 },
      ),
    ).toEqual([]);
    expect(sources.every((s) => s.state.read === 0)).toBe(true);
  });

  it('applies tail after the other filters', async () => {
    const filter: LogFilter = { tail: 2, streams: ['stdout'], replicas: ['r1', 'r2'] };
    expect(
      await merge(
        threeReplicas().map((s) => s.entries),
        filter,
      ),
    ).toEqual(['r2@9', 'r1@10']);
  });

  it('filters by stream and by replica', async () => {
    expect(
      await merge(
        threeReplicas().map((s) => s.entries),
        { streams: ['stderr'] },
      ),
    ).toEqual(['r1@3', 'r2@3#2']);
    expect(
      await merge(
        threeReplicas().map((s) => s.entries),
        { replicas: ['r3'] },
      ),
    ).toEqual(['r3@0', 'r3@3', 'r3@4']);
  });

  it('filters by since and until, both inclusive, at nanosecond precision', async () => {
    const filter = { since: T(3), until: '2026-11-23T15:00:00.000000004+01:00' };
    expect(
      await merge(
        threeReplicas().map((s) => s.entries),
        filter,
      ),
    ).toEqual(['r1@3', 'r2@3', 'r2@3#2', 'r3@3', 'r3@4']);
  });

  it('stops reading a source at its first line past until, even an endless one', async () => {
    const state = { read: 0, closed: false };
    async function* endless(): AsyncGenerator<SourceLogLine> {
      try {
        for (let n = 0; ; n++) {
          state.read++;
          yield { stream: 'stdout', timestamp: T(n), text: `e${n}` };
        }
      } finally {
        state.closed = true;
      }
    }
    const e = toAppEntries(endless(), { replica: 'e', containerId: 'ce' });
    expect(await merge([e], { until: T(2) })).toEqual(['e0', 'e1', 'e2']);
    expect(state).toEqual({ read: 4, closed: true });
  });

  it('resumes after a cursor with no gap and no repeat, ties included', async () => {
    const all: AppLogEntryWithoutSeq[] = [];
    for await (const entry of mergeByTimestamp(threeReplicas().map((s) => s.entries))) all.push(entry);
    for (let i = 0; i < all.length; i++) {
      const rest = await merge(
        threeReplicas().map((s) => s.entries),
        { after: cursorOf(all[i]) },
      );
      expect(rest).toEqual(ALL.slice(i + 1));
    }
  });

  it('closes every source when the consumer stops early', async () => {
    const sources = threeReplicas();
    for await (const entry of mergeByTimestamp(sources.map((s) => s.entries))) {
      if (entry.text === 'r1@2') break;
    }
    expect(sources.map((s) => s.state.closed)).toEqual([true, true, true]);
  });

  it('closes the other sources when one fails', async () => {
    const ok = source('ok', [
      [1, 'ok1'],
      [5, 'ok5'],
    ]);
    async function* broken(): AsyncGenerator<AppLogEntryWithoutSeq> {
      yield { timestamp: T(2), replica: 'b', containerId: 'cb', stream: 'stdout', text: 'b2', ordinal: 0 };
      throw new Error('engine went away');
    }
    await expect(merge([ok.entries, broken()])).rejects.toThrow('engine went away');
    expect(ok.state.closed).toBe(true);
  });

  it('checks its filters before reading anything', () => {
    expect(() => mergeByTimestamp([], { since: 'yesterday' })).toThrow(RangeError);
    expect(() => mergeByTimestamp([], { tail: -1 })).toThrow(RangeError);
    expect(() => mergeByTimestamp([], { after: 'nope!' })).toThrow(/cursor/);
  });
});

describe('TailBuffer', () => {
  it('keeps the last capacity items in order', () => {
    const buffer = new TailBuffer<number>(3);
    for (let i = 1; i <= 7; i++) buffer.push(i);
    expect(buffer.length).toBe(3);
    expect([...buffer.drain()]).toEqual([5, 6, 7]);
    expect(buffer.length).toBe(0);
  });
});
