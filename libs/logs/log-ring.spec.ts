import { describe, expect, it } from '@jest/globals';
import type { AppLogEntry, AppLogEntryWithoutSeq } from './log-entry.js';
import { LogRing, entryBytes } from './log-ring.js';

function line(text: string): AppLogEntryWithoutSeq {
  return {
    timestamp: '2026-11-23T14:00:00.000000000Z',
    replica: 'r1',
    containerId: 'c1',
    stream: 'stdout',
    text,
    ordinal: 0,
  };
}

const texts = (entries: AppLogEntry[]) => entries.map((e) => e.text);

describe('LogRing', () => {
  it('numbers lines with consecutive, increasing seqs from firstSeq', () => {
    const ring = new LogRing({ maxLines: 3, maxBytes: 1000, firstSeq: 100 });
    expect([ring.oldestSeq, ring.newestSeq]).toEqual([100, 99]);
    const seqs = ['a', 'b', 'c', 'd', 'e'].map((t) => ring.append(line(t)).seq);
    expect(seqs).toEqual([100, 101, 102, 103, 104]);
    expect([ring.oldestSeq, ring.newestSeq, ring.size]).toEqual([102, 104, 3]);
  });

  it('keeps at most maxLines lines, evicting the oldest', () => {
    const ring = new LogRing({ maxLines: 3, maxBytes: 1000 });
    for (const t of ['a', 'b', 'c', 'd', 'e']) ring.append(line(t));
    expect(ring.size).toBe(3);
    expect(ring.evicted).toBe(2);
    expect(texts(ring.since(0).entries)).toEqual(['c', 'd', 'e']);
  });

  it('keeps at most maxBytes of text, counting UTF-8 bytes', () => {
    const ring = new LogRing({ maxLines: 100, maxBytes: 10 });
    for (const t of ['aaaa', 'bbbb', 'cccc']) ring.append(line(t));
    expect(texts(ring.since(0).entries)).toEqual(['bbbb', 'cccc']);
    expect(ring.bytes).toBe(8);
    ring.append(line('ééé')); // 6 bytes: 'bbbb' must go
    expect(texts(ring.since(0).entries)).toEqual(['cccc', 'ééé']);
    expect(ring.bytes).toBe(10);
    expect(entryBytes({ text: 'ééé' })).toBe(6);
    ring.append(line('0123456789')); // exactly maxBytes: evicts everything else
    expect(texts(ring.since(0).entries)).toEqual(['0123456789']);
  });

  it('gives a line bigger than maxBytes its seq but does not buffer it', () => {
    const ring = new LogRing({ maxLines: 10, maxBytes: 10 });
    ring.append(line('a'));
    const big = ring.append(line('x'.repeat(11)));
    expect(big.seq).toBe(2);
    expect(ring.size).toBe(0);
    expect(ring.bytes).toBe(0);
    expect(ring.since(0)).toEqual({ entries: [], dropped: 2 });
    ring.append(line('b'));
    expect(ring.since(0)).toMatchObject({ dropped: 2, entries: [{ seq: 3, text: 'b' }] });
  });

  it('since(seq) returns what is buffered after seq and counts what was lost', () => {
    const ring = new LogRing({ maxLines: 4, maxBytes: 1000 });
    for (let i = 1; i <= 10; i++) ring.append(line(`l${i}`)); // seqs 1..10, keeps 7..10
    expect(ring.since(8)).toEqual({ entries: [ring.get(9), ring.get(10)], dropped: 0 });
    expect(ring.since(6)).toMatchObject({ dropped: 0 });
    expect(texts(ring.since(6).entries)).toEqual(['l7', 'l8', 'l9', 'l10']);
    expect(ring.since(2)).toMatchObject({ dropped: 4 }); // l3..l6 are gone
    expect(ring.since(0)).toMatchObject({ dropped: 6 });
    expect(ring.since(10)).toEqual({ entries: [], dropped: 0 });
    expect(ring.since(99)).toEqual({ entries: [], dropped: 0 });
    expect(texts(ring.since(2, 2).entries)).toEqual(['l7', 'l8']);
    expect(ring.get(6)).toBeUndefined();
    expect(ring.get(7)?.text).toBe('l7');
  });

  it('counts lost lines only from firstSeq', () => {
    const ring = new LogRing({ maxLines: 2, maxBytes: 1000, firstSeq: 50 });
    for (let i = 0; i < 5; i++) ring.append(line(`l${i}`)); // 50..54, keeps 53..54
    expect(ring.since(0).dropped).toBe(3);
    expect(ring.since(49).dropped).toBe(3);
  });

  it('matches a plain array model through many wrap-arounds', () => {
    const ring = new LogRing({ maxLines: 7, maxBytes: 40 });
    let model: AppLogEntry[] = [];
    for (let i = 0; i < 5000; i++) {
      const text = 'x'.repeat((i * 31) % 13);
      model.push(ring.append(line(text)));
      while (model.length > 7 || model.reduce((n, e) => n + entryBytes(e), 0) > 40) model = model.slice(1);
      if (i % 97 === 0) {
        expect(ring.since(0).entries).toEqual(model);
        expect(ring.oldestSeq).toBe(model[0]?.seq ?? ring.newestSeq + 1);
        const probe = ring.newestSeq - (i % 11);
        expect(ring.since(probe).entries).toEqual(model.filter((e) => e.seq > probe));
      }
    }
    expect(ring.newestSeq).toBe(5000);
  });

  it('refuses nonsense bounds', () => {
    expect(() => new LogRing({ maxLines: 0, maxBytes: 10 })).toThrow(RangeError);
    expect(() => new LogRing({ maxLines: 1.5, maxBytes: 10 })).toThrow(RangeError);
    expect(() => new LogRing({ maxLines: 1, maxBytes: 0 })).toThrow(RangeError);
    expect(() => new LogRing({ maxLines: 1, maxBytes: 1, firstSeq: 0 })).toThrow(RangeError);
  });
});
