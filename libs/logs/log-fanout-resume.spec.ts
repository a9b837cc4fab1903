import { afterEach, describe, expect, it } from '@jest/globals';
import { FakeLogFollow, settle } from './testing/index.js';
import { type AppLogEntry, InvalidCursorError, cursorOf, parseCursor } from './log-entry.js';
import { LogHub } from './log-fanout.js';
import { resumePoint } from './log-subscriber.js';
import { LogRing } from './log-ring.js';
import type { LogDelivery } from './log-subscriber.js';

const T = (n: number) => `2026-11-23T14:00:00.${String(n).padStart(9, '0')}Z`;

function client() {
  const got: LogDelivery[] = [];
  return {
    got,
    send: (d: LogDelivery) => (got.push(d), true),
    lines: () => got.flatMap((d) => (Array.isArray(d) ? d : [])),
    texts: () => got.flatMap((d) => (Array.isArray(d) ? d.map((e) => e.text) : [`<dropped ${d.count}>`])),
  };
}

let hub: LogHub;
afterEach(() => hub?.close());

/** A hub with app 'app' watched by `first`, following one container that already logged `count` lines. */
async function hubWithLines(count: number, options: { ringLines?: number; sameTimestamp?: boolean } = {}) {
  hub = new LogHub({ ringLines: options.ringLines ?? 100 });
  const follow = new FakeLogFollow();
  const first = client();
  hub.subscribe({ app: 'app', maxBufferedLines: 1000, send: first.send });
  hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open });
  // With sameTimestamp, lines come in pairs sharing a timestamp: l1,l2 @1; l3,l4 @2; ...
  const at = (i: number) => T(options.sameTimestamp ? Math.ceil(i / 2) : i);
  follow.lines(Array.from({ length: count }, (_, k) => [at(k + 1), `l${k + 1}`] as [string, string]));
  await settle();
  const more = (from: number, to: number) => {
    follow.lines(
      Array.from({ length: to - from + 1 }, (_, k) => [at(from + k), `l${from + k}`] as [string, string]),
    );
  };
  return { follow, first, more, line: (n: number): AppLogEntry => first.lines()[n - 1] };
}

describe('LogHub resume from a cursor', () => {
  it('continues right after the cursor, then live, with no gap and no repeat', async () => {
    const { line, more } = await hubWithLines(5);
    const late = client();
    hub.subscribe({ app: 'app', fromCursor: cursorOf(line(3)), maxBufferedLines: 1000, send: late.send });
    more(6, 7); // arrives before the backlog is even sent
    await settle();
    more(8, 8);
    await settle();
    expect(late.texts()).toEqual(['l4', 'l5', 'l6', 'l7', 'l8']);
  });

  it('resumes between lines that share a timestamp', async () => {
    const { line } = await hubWithLines(6, { sameTimestamp: true });
    expect(line(3).timestamp).toBe(line(4).timestamp);
    for (let n = 1; n <= 6; n++) {
      const late = client();
      const sub = hub.subscribe({
        app: 'app',
        fromCursor: cursorOf(line(n)),
        maxBufferedLines: 1000,
        send: late.send,
      });
      await settle();
      expect(late.texts()).toEqual(['l1', 'l2', 'l3', 'l4', 'l5', 'l6'].slice(n));
      sub.unsubscribe();
    }
  });

  it('resumes at the newest line with nothing to replay', async () => {
    const { line, more } = await hubWithLines(3);
    const late = client();
    hub.subscribe({ app: 'app', fromCursor: cursorOf(line(3)), maxBufferedLines: 1000, send: late.send });
    await settle();
    expect(late.got).toEqual([]);
    more(4, 4);
    await settle();
    expect(late.texts()).toEqual(['l4']);
  });

  it('reports exactly how many lines fell out of the ring after the cursor', async () => {
    const { line } = await hubWithLines(20, { ringLines: 5 }); // the ring keeps l16..l20
    const late = client();
    hub.subscribe({ app: 'app', fromCursor: cursorOf(line(2)), maxBufferedLines: 1000, send: late.send });
    await settle();
    expect(late.got[0]).toEqual({ type: 'dropped', count: 13 }); // l3..l15
    expect(late.texts().slice(1)).toEqual(['l16', 'l17', 'l18', 'l19', 'l20']);
  });

  it('applies maxBufferedLines to the backlog too', async () => {
    const { line } = await hubWithLines(10);
    const late = client();
    hub.subscribe({ app: 'app', fromCursor: cursorOf(line(1)), maxBufferedLines: 3, send: late.send });
    await settle();
    expect(late.texts()).toEqual(['<dropped 6>', 'l8', 'l9', 'l10']);
  });

  it('places a cursor without a ring seq (from the REST endpoint) by the line it names', async () => {
    const { line } = await hubWithLines(6, { sameTimestamp: true });
    const { seq: _seq, ...rest } = line(3);
    const late = client();
    hub.subscribe({ app: 'app', fromCursor: cursorOf(rest), maxBufferedLines: 1000, send: late.send });
    await settle();
    expect(late.texts()).toEqual(['l4', 'l5', 'l6']);
  });

  it('says the gap is unknown for a foreign cursor older than everything buffered', async () => {
    const { line } = await hubWithLines(5);
    const older = { timestamp: T(0), replica: 'r1', ordinal: 0 };
    const late = client();
    hub.subscribe({ app: 'app', fromCursor: cursorOf(older), maxBufferedLines: 1000, send: late.send });
    await settle();
    expect(late.texts()).toEqual(['<dropped null>', 'l1', 'l2', 'l3', 'l4', 'l5']);
    expect(line(1).text).toBe('l1');
  });

  it('does not mistake a cursor from an earlier watch of the app for a position in the new ring', async () => {
    const { first, line, follow } = await hubWithLines(5);
    const cursor = cursorOf(line(5));
    hub.close(); // the app's ring is gone (as after the last subscriber left, or a restart)
    hub = new LogHub();
    const again = client();
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open });
    hub.subscribe({ app: 'app', fromCursor: cursor, maxBufferedLines: 1000, send: again.send });
    await settle();
    expect(again.got).toEqual([{ type: 'dropped', count: null }]);
    expect(first.texts()).toHaveLength(5);
  });

  it('refuses a malformed cursor before watching the app', () => {
    hub = new LogHub();
    expect(() =>
      hub.subscribe({ app: 'app', fromCursor: 'bogus!', maxBufferedLines: 10, send: () => true }),
    ).toThrow(InvalidCursorError);
    expect(hub.stats().apps).toBe(0);
  });
});

describe('resumePoint', () => {
  function ring(): LogRing {
    const r = new LogRing({ maxLines: 3, maxBytes: 1000, firstSeq: 10 });
    for (let i = 1; i <= 5; i++) {
      r.append({
        timestamp: T(i),
        replica: 'r',
        containerId: 'c',
        stream: 'stdout',
        text: `l${i}`,
        ordinal: 0,
      });
    }
    return r; // seqs 10..14, keeps 12..14 (l3..l5)
  }

  it('trusts the seq of a line this ring still holds, or evicted', () => {
    const r = ring();
    expect(resumePoint(r, parseCursor(cursorOf(r.get(13)!)))).toEqual({ position: 13, unknownGap: false });
    expect(resumePoint(r, { timestamp: T(1), replica: 'r', ordinal: 0, seq: 10 })).toEqual({
      position: 10,
      unknownGap: false,
    });
  });

  it('ignores a seq that names a different line', () => {
    const r = ring();
    expect(resumePoint(r, { timestamp: T(4), replica: 'r', ordinal: 0, seq: 12 })).toEqual({
      position: 13,
      unknownGap: false,
    });
  });

  it('falls back to time order for a line it never had', () => {
    const r = ring();
    const between = { timestamp: T(3), replica: 's', ordinal: 0, seq: undefined };
    expect(resumePoint(r, between)).toEqual({ position: 12, unknownGap: false });
    const after = { timestamp: T(9), replica: 'r', ordinal: 0, seq: undefined };
    expect(resumePoint(r, after)).toEqual({ position: 14, unknownGap: false });
  });
});
