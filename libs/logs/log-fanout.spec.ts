import { afterEach, describe, expect, it } from '@jest/globals';
import { FakeLogFollow, settle } from './testing/index.js';
import type { AppLogEntry, SourceLogLine } from './log-entry.js';
import { LogHub, type LogHubOptions } from './log-fanout.js';
import type { LogDelivery } from './log-subscriber.js';

const T = (n: number) => `2026-11-23T14:00:00.${String(n).padStart(9, '0')}Z`;
const NOW = '2026-11-23T15:00:00.000000000Z';

/** A client that records what it gets; `full` makes send report a full socket buffer. */
function client() {
  const got: LogDelivery[] = [];
  const c = {
    got,
    full: false,
    send: (d: LogDelivery) => (got.push(d), !c.full),
    lines: () => got.flatMap((d) => (Array.isArray(d) ? d : [])),
    texts: () => c.lines().map((e: AppLogEntry) => e.text),
  };
  return c;
}

let hub: LogHub;
function newHub(options: LogHubOptions = {}): LogHub {
  hub = new LogHub({ now: () => NOW, retry: { attempts: 2, delayMs: 0 }, ...options });
  return hub;
}
afterEach(() => hub?.close());

describe('LogHub fan-out', () => {
  it('gives two subscribers the same lines from one upstream follow', async () => {
    newHub();
    const follow = new FakeLogFollow();
    const [a, b] = [client(), client()];
    hub.subscribe({ app: 'app', maxBufferedLines: 100, send: a.send });
    hub.subscribe({ app: 'app', maxBufferedLines: 100, send: b.send });
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open });
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open }); // same container: no second follow
    follow.lines([
      [T(1), 'one'],
      [T(2), 'two'],
      [T(2), 'two again'],
    ]);
    await settle();
    expect(follow.opens).toHaveLength(1);
    expect(a.texts()).toEqual(['one', 'two', 'two again']);
    expect(b.lines()).toEqual(a.lines());
    expect(a.lines()[2]).toMatchObject({ replica: 'r1', containerId: 'c1', stream: 'stdout', ordinal: 1 });
    const seqs = a.lines().map((e) => e.seq);
    expect(seqs[1] - seqs[0]).toBe(1);
    expect(seqs[2] - seqs[1]).toBe(1);
  });

  it('does not follow a container while its app has no subscriber', async () => {
    newHub();
    const follow = new FakeLogFollow();
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open });
    hub.subscribe({ app: 'other', maxBufferedLines: 10, send: () => true });
    await settle();
    expect(follow.opens).toHaveLength(0);
    hub.subscribe({ app: 'app', maxBufferedLines: 10, send: () => true });
    expect(follow.opens).toHaveLength(1);
  });

  it('keeps each container in order and interleaves containers by arrival', async () => {
    newHub();
    const [f1, f2] = [new FakeLogFollow(), new FakeLogFollow()];
    const a = client();
    hub.subscribe({ app: 'app', maxBufferedLines: 100, send: a.send });
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: f1.open });
    hub.attach({ app: 'app', key: 'c2', replica: 'r2', open: f2.open });
    f1.lines([[T(5), 'r1 first']]);
    await settle();
    f2.lines([[T(1), 'r2 older but later']]);
    await settle();
    f1.lines([[T(6), 'r1 second']]);
    await settle();
    expect(a.texts()).toEqual(['r1 first', 'r2 older but later', 'r1 second']);
  });

  it('bounds a slow subscriber and tells it exactly how many lines it lost, without slowing a fast one', async () => {
    newHub({ ringLines: 2000, batchLines: 256 });
    const total = 100_000;
    const bound = 1000;
    const [fast, slow] = [client(), client()];
    slow.full = true; // its socket buffer is full from the first send on
    hub.subscribe({ app: 'app', maxBufferedLines: bound, send: fast.send });
    const slowSub = hub.subscribe({ app: 'app', maxBufferedLines: bound, send: slow.send });
    let maxQueued = 0;
    let signal: AbortSignal | undefined;
    async function* flood(): AsyncGenerator<SourceLogLine> {
      for (let i = 0; i < total; i++) {
        yield { stream: 'stdout', timestamp: T(i), text: `line ${i}` };
        maxQueued = Math.max(maxQueued, slowSub.queuedLines);
      }
      await new Promise((resolve) => signal!.addEventListener('abort', resolve));
    }
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: (_since, s) => ((signal = s), flood()) });
    await settle();

    expect(fast.texts()).toHaveLength(total);
    expect(fast.texts()[total - 1]).toBe(`line ${total - 1}`);
    expect(fast.got.some((d) => !Array.isArray(d))).toBe(false);

    expect(maxQueued).toBeLessThanOrEqual(bound);
    expect(slowSub.queuedLines).toBe(bound);
    expect(slow.got).toHaveLength(1); // one batch, then its buffer was full
    const firstBatch = slow.texts();
    expect(firstBatch).toHaveLength(256);

    slow.full = false;
    slowSub.resume();
    const lost = total - 256 - bound;
    expect(slow.got[1]).toEqual({ type: 'dropped', count: lost });
    expect(slowSub.droppedLines).toBe(lost);
    const after = slow.texts().slice(256);
    expect(after).toHaveLength(bound);
    expect(after[0]).toBe(`line ${total - bound}`);
    expect(after.at(-1)).toBe(`line ${total - 1}`);
    expect(slowSub.queuedLines).toBe(0);
  });

  it.each([
    ['lines', { ringLines: 10 }],
    ['bytes', { ringBytes: 64, maxLineBytes: 16 }],
  ])(
    'never loses a line for a subscriber that keeps up, even in a burst bigger than the ring (%s)',
    async (_, o) => {
      newHub(o);
      const follow = new FakeLogFollow();
      const fast = client();
      hub.subscribe({ app: 'app', maxBufferedLines: 10_000, send: fast.send });
      hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open });
      follow.lines(
        Array.from({ length: 1000 }, (_, i) => [T(i), `${i}`.padStart(16, '.')] as [string, string]),
      );
      await settle();
      expect(fast.texts()).toHaveLength(1000);
      expect(fast.got.some((d) => !Array.isArray(d))).toBe(false);
    },
  );

  it('sends nothing more to a subscriber whose buffer is full until it resumes', async () => {
    newHub({ batchLines: 2 });
    const follow = new FakeLogFollow();
    const slow = client();
    slow.full = true;
    const sub = hub.subscribe({ app: 'app', maxBufferedLines: 10, send: slow.send });
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open });
    follow.lines([
      [T(1), 'a'],
      [T(2), 'b'],
      [T(3), 'c'],
      [T(4), 'd'],
    ]);
    await settle();
    expect(slow.texts()).toEqual(['a', 'b']);
    expect(sub.queuedLines).toBe(2);
    slow.full = false;
    sub.resume();
    expect(slow.texts()).toEqual(['a', 'b', 'c', 'd']);
    expect(slow.got.some((d) => !Array.isArray(d))).toBe(false); // nothing was lost
  });

  it('drops a subscriber whose send throws, and keeps serving the others', async () => {
    newHub();
    const follow = new FakeLogFollow();
    const ok = client();
    hub.subscribe({ app: 'app', maxBufferedLines: 10, send: ok.send });
    hub.subscribe({
      app: 'app',
      maxBufferedLines: 10,
      send: () => {
        throw new Error('socket closed');
      },
    });
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open });
    follow.lines([[T(1), 'a']]);
    await settle();
    follow.lines([[T(2), 'b']]);
    await settle();
    expect(ok.texts()).toEqual(['a', 'b']);
    expect(hub.stats().subscribers).toBe(1);
  });

  it('refuses a subscriber without a positive bound', () => {
    newHub();
    expect(() => hub.subscribe({ app: 'app', maxBufferedLines: 0, send: () => true })).toThrow(RangeError);
  });
});

describe('LogHub upstream lifecycle', () => {
  it('aborts the follows when the last subscriber of the app leaves, and reopens for the next one', async () => {
    newHub();
    const follow = new FakeLogFollow();
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open });
    const a = hub.subscribe({ app: 'app', maxBufferedLines: 10, send: () => true });
    const b = hub.subscribe({ app: 'app', maxBufferedLines: 10, send: () => true });
    expect(follow.signal?.aborted).toBe(false);
    a.unsubscribe();
    expect(follow.signal?.aborted).toBe(false);
    b.unsubscribe();
    expect(follow.signal?.aborted).toBe(true);
    expect(hub.stats()).toEqual({ apps: 0, upstreams: 0, subscribers: 0, ringBytes: 0 });
    hub.subscribe({ app: 'app', maxBufferedLines: 10, send: () => true });
    expect(follow.opens).toHaveLength(2);
    expect(follow.opens[1]).toMatchObject({ since: undefined });
    expect(follow.signal?.aborted).toBe(false);
  });

  it('keeps the follows for lingerMs after the last subscriber leaves', async () => {
    newHub({ lingerMs: 30 });
    const follow = new FakeLogFollow();
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open });
    hub.subscribe({ app: 'app', maxBufferedLines: 10, send: () => true }).unsubscribe();
    expect(follow.signal?.aborted).toBe(false);
    hub.subscribe({ app: 'app', maxBufferedLines: 10, send: () => true }).unsubscribe(); // back in time
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(follow.opens).toHaveLength(1);
    expect(follow.signal?.aborted).toBe(true);
  });

  it('puts "replica X stopped" in the log when a follow ends, and "replica Y started" for a new one', async () => {
    newHub();
    const [old, fresh] = [new FakeLogFollow(), new FakeLogFollow()];
    const a = client();
    hub.subscribe({ app: 'app', maxBufferedLines: 10, send: a.send });
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: old.open });
    old.lines([[T(1), 'bye']]);
    old.end();
    await settle();
    hub.attach({ app: 'app', key: 'c2', replica: 'r2', open: fresh.open, announce: true });
    fresh.lines([[T(2), 'hello']]);
    await settle();
    expect(a.lines().map((e) => [e.stream, e.replica, e.text])).toEqual([
      ['stdout', 'r1', 'bye'],
      ['system', 'r1', 'replica r1 stopped'],
      ['system', 'r2', 'replica r2 started'],
      ['stdout', 'r2', 'hello'],
    ]);
    expect(a.lines()[1]).toMatchObject({ containerId: 'c1', timestamp: NOW });
    expect(hub.stats().upstreams).toBe(1); // the stopped container is forgotten
  });

  it('never loses a line for a subscriber that keeps up when the follow gives batches bigger than the ring', async () => {
    newHub({ ringLines: 10 });
    const [fast, small] = [client(), client()];
    hub.subscribe({ app: 'app', maxBufferedLines: 10_000, send: fast.send });
    hub.subscribe({ app: 'app', maxBufferedLines: 3, send: small.send });
    let signal: AbortSignal | undefined;
    async function* batches(): AsyncGenerator<SourceLogLine[]> {
      for (let b = 0; b < 4; b++) {
        yield Array.from({ length: 250 }, (_, i) => ({
          stream: 'stdout' as const,
          timestamp: T(b * 250 + i),
          text: `${b * 250 + i}`,
        }));
      }
      await new Promise((resolve) => signal!.addEventListener('abort', resolve));
    }
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: (_since, s) => ((signal = s), batches()) });
    await settle();
    const all = Array.from({ length: 1000 }, (_, i) => `${i}`);
    expect(fast.texts()).toEqual(all);
    expect(small.texts()).toEqual(all); // its bound is 3 lines: it is told every 3 lines, and keeps up
    expect([...fast.got, ...small.got].some((d) => !Array.isArray(d))).toBe(false);
  });

  it('reopens a failed follow from its last timestamp and skips the lines the engine repeats', async () => {
    newHub();
    const follow = new FakeLogFollow();
    const a = client();
    hub.subscribe({ app: 'app', maxBufferedLines: 10, send: a.send });
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open });
    follow.lines([
      [T(1), 'a'],
      [T(2), 'b1'],
      [T(2), 'b2'],
    ]);
    follow.fail();
    // The engine answers `since` with everything from that instant on (or earlier, if it rounds).
    follow.lines([
      [T(1), 'a'],
      [T(2), 'b1'],
      [T(2), 'b2'],
      [T(2), 'b3'],
      [T(3), 'c'],
    ]);
    await settle();
    expect(follow.opens.map((o) => o.since)).toEqual([undefined, T(2)]);
    expect(a.texts()).toEqual(['a', 'b1', 'b2', 'b3', 'c']);
    expect(a.lines().map((e) => e.ordinal)).toEqual([0, 0, 1, 2, 0]);
  });

  it('gives up on a follow that keeps failing, and says so', async () => {
    newHub({ retry: { attempts: 2, delayMs: 0 } });
    const follow = new FakeLogFollow();
    const a = client();
    hub.subscribe({ app: 'app', maxBufferedLines: 10, send: a.send });
    hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: follow.open });
    follow.fail(new Error('no such host'));
    follow.fail(new Error('no such host'));
    follow.fail(new Error('no such host'));
    await settle();
    expect(follow.opens).toHaveLength(3);
    expect(a.lines().map((e) => [e.stream, e.text])).toEqual([
      ['system', 'replica r1 logs unavailable: no such host'],
    ]);
    expect(hub.stats().upstreams).toBe(0);
  });

  it('asks watchApp for the containers of a newly watched app and tells it when watching stops', async () => {
    const follow = new FakeLogFollow();
    const watched: { app: string; signal: AbortSignal }[] = [];
    newHub({
      watchApp: (app, signal) => {
        watched.push({ app, signal });
        const detach = hub.attach({ app, key: 'c1', replica: 'r1', open: follow.open });
        signal.addEventListener('abort', detach);
      },
    });
    const a = client();
    const sub = hub.subscribe({ app: 'app', maxBufferedLines: 10, send: a.send });
    follow.lines([[T(1), 'x']]);
    await settle();
    expect(a.texts()).toEqual(['x']);
    expect(watched.map((w) => w.app)).toEqual(['app']);
    sub.unsubscribe();
    expect(watched[0].signal.aborted).toBe(true);
    expect(follow.signal?.aborted).toBe(true);
    expect(hub.stats()).toEqual({ apps: 0, upstreams: 0, subscribers: 0, ringBytes: 0 });
  });

  it('detach stops the follow of that container only', async () => {
    newHub();
    const [f1, f2] = [new FakeLogFollow(), new FakeLogFollow()];
    hub.subscribe({ app: 'app', maxBufferedLines: 10, send: () => true });
    const detach = hub.attach({ app: 'app', key: 'c1', replica: 'r1', open: f1.open });
    hub.attach({ app: 'app', key: 'c2', replica: 'r2', open: f2.open });
    detach();
    expect(f1.signal?.aborted).toBe(true);
    expect(f2.signal?.aborted).toBe(false);
    expect(() => hub.attach({ app: 'other', key: 'c2', replica: 'r2', open: f2.open })).toThrow(
      /another app/,
    );
  });
});
