import { describe, expect, it } from '@jest/globals';
import { withoutReplayedBatches, withoutReplays } from './follow-replays.js';
import type { SourceLogLine } from './log-entry.js';

const line = (stream: 'stdout' | 'stderr', ns: number, text: string): SourceLogLine => ({
  stream,
  // As Docker writes them: RFC 3339 with trailing zeros trimmed.
  timestamp: `2026-11-23T14:00:00.${String(ns).padStart(9, '0').replace(/0+$/, '') || '0'}Z`,
  text,
});

async function collect(lines: SourceLogLine[]): Promise<string[]> {
  const out: string[] = [];
  async function* source() {
    yield* lines;
  }
  for await (const l of withoutReplays(source())) out.push(l.text);
  return out;
}

describe('withoutReplays', () => {
  it('drops a replayed stretch (a json-file rotation re-read) and keeps what follows it', async () => {
    const first = [1, 2, 3, 4, 5].map((n) => line('stdout', n * 100, `l${n}`));
    const replay = first.slice(2);
    expect(await collect([...first, ...replay, line('stdout', 600, 'l6')])).toEqual([
      'l1',
      'l2',
      'l3',
      'l4',
      'l5',
      'l6',
    ]);
  });

  it('guards each stream on its own: stderr stamped a little before stdout is kept', async () => {
    expect(
      await collect([line('stdout', 200, 'out'), line('stderr', 150, 'err'), line('stdout', 300, 'out2')]),
    ).toEqual(['out', 'err', 'out2']);
  });

  it('returns canonical timestamps', async () => {
    async function* source() {
      yield line('stdout', 120_000_000, 'x');
    }
    for await (const l of withoutReplays(source()))
      expect(l.timestamp).toBe('2026-11-23T14:00:00.120000000Z');
  });
});

describe('withoutReplays timestamps', () => {
  it.each([
    ['2026-11-23T14:00:05Z', '2026-11-23T14:00:05.000000000Z'],
    ['2026-11-23T14:00:05.1Z', '2026-11-23T14:00:05.100000000Z'],
    ['2026-11-23T14:00:05.123456789Z', '2026-11-23T14:00:05.123456789Z'],
    ['2026-11-23T15:00:05.5+01:00', '2026-11-23T14:00:05.500000000Z'],
  ])('makes %s canonical', async (given, expected) => {
    async function* source() {
      yield { stream: 'stdout' as const, timestamp: given, text: 'x' };
    }
    for await (const l of withoutReplays(source())) expect(l.timestamp).toBe(expected);
  });
});

describe('withoutReplayedBatches', () => {
  it('drops replays across batches, leaves out batches that were all replay, keeps the order', async () => {
    const [l1, l2, l3, l4] = [1, 2, 3, 4].map((n) => line('stdout', n * 100, `l${n}`));
    async function* batches() {
      yield [l1, l2];
      yield [l1, l2]; // a re-read of what was given: nothing of it comes out
      yield [l2, l3, line('stderr', 150, 'err'), l4];
    }
    const out: string[][] = [];
    for await (const batch of withoutReplayedBatches(batches())) out.push(batch.map((l) => l.text));
    expect(out).toEqual([
      ['l1', 'l2'],
      ['l3', 'err', 'l4'],
    ]);
  });
});
