import { afterEach, describe, expect, it } from '@jest/globals';
import { FakeLogFollow, settle } from './testing/index.js';
import { LiveLogFeed, type LiveLogMessage, type LogBackfill } from './live-log-feed.js';
import { type SourceLogLine, cursorOf, toAppEntries } from './log-entry.js';
import { LogHub } from './log-fanout.js';
import { mergeByTimestamp } from './log-merge.js';

const T = (n: number) => `2026-11-23T14:00:00.${String(n).padStart(9, '0')}Z`;

/**
 * Two replicas of app 'app' as the engine sees them: every line printed is in the replica's log (read by
 * the backfill), and, while the hub watches the app, also in its live follow.
 */
function world(options: { ringLines?: number; lingerMs?: number } = {}) {
  const logs = new Map<string, SourceLogLine[]>([
    ['r1', []],
    ['r2', []],
  ]);
  const follows = new Map<string, FakeLogFollow>();
  let clock = 0;
  let watching = false;
  const hub = new LogHub({
    ringLines: options.ringLines ?? 1000,
    lingerMs: options.lingerMs ?? 0,
    watchApp: (app, signal) => {
      watching = true;
      const detach = [...logs.keys()].map((replica) => {
        const follow = new FakeLogFollow();
        follows.set(replica, follow);
        return hub.attach({ app, key: `c-${replica}`, replica, open: follow.open });
      });
      // As AppLogWatcher does: registrations end with the watch.
      signal.addEventListener('abort', () => {
        watching = false;
        for (const undo of detach) undo();
      });
    },
  });
  const print = (replica: string, ...texts: string[]) => {
    for (const text of texts) {
      const line: SourceLogLine = { stream: 'stdout', timestamp: T(++clock), text };
      logs.get(replica)!.push(line);
      if (watching) follows.get(replica)!.push(line);
    }
  };
  const backfills: unknown[] = [];
  const backfill: LogBackfill = (request, signal) => {
    backfills.push(request);
    const sources = [...logs].map(([replica, lines]) =>
      toAppEntries(
        (async function* () {
          // A snapshot, as a non-following engine read is; yields between lines like a socket read.
          for (const line of [...lines]) {
            if (signal.aborted) return;
            await Promise.resolve();
            yield line;
          }
        })(),
        { replica, containerId: `c-${replica}` },
      ),
    );
    return mergeByTimestamp(sources, request);
  };
  return { hub, print, backfill, backfills, logs };
}

function sink(accept: () => boolean = () => true) {
  const messages: LiveLogMessage[] = [];
  return {
    messages,
    send: (message: LiveLogMessage) => (messages.push(message), accept()),
    texts: () =>
      messages.flatMap((m) => (m.type === 'lines' ? m.lines.map((l) => l.text) : [`<dropped ${m.count}>`])),
  };
}

let hubs: LogHub[] = [];
afterEach(() => {
  for (const hub of hubs) hub.close();
  hubs = [];
});

function feedOf(
  w: ReturnType<typeof world>,
  out: ReturnType<typeof sink>,
  options: { cursor?: string; tail?: number; maxBufferedLines?: number } = {},
) {
  hubs.push(w.hub);
  const feed = new LiveLogFeed({
    hub: w.hub,
    app: 'app',
    maxBufferedLines: options.maxBufferedLines ?? 1000,
    backfill: w.backfill,
    sink: out,
    ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
    ...(options.tail !== undefined ? { tail: options.tail } : {}),
  });
  feed.start();
  return feed;
}

describe('LiveLogFeed', () => {
  it('sends live lines with cursors, nothing from before it started', async () => {
    const w = world();
    w.print('r1', 'old');
    const out = sink();
    feedOf(w, out);
    await settle();
    w.print('r1', 'a');
    w.print('r2', 'b');
    await settle();
    expect(out.texts()).toEqual(['a', 'b']);
    expect(w.backfills).toEqual([]);
    const [line] = out.messages[0].type === 'lines' ? out.messages[0].lines : [];
    expect(line).toMatchObject({ replica: 'r1', containerId: 'c-r1', stream: 'stdout', text: 'a' });
    expect(typeof line.cursor).toBe('string');
  });

  it('starts with the last `tail` lines from the engine, then live, without repeating lines in flight', async () => {
    const w = world();
    const keep = sink();
    feedOf(w, keep); // the app is watched: every printed line also reaches the ring
    await settle();
    w.print('r1', 'l1', 'l2');
    w.print('r2', 'm1');
    w.print('r1', 'l3');
    const out = sink();
    feedOf(w, out, { tail: 3 });
    // Printed while the history is read: in the engine's log and live in the ring.
    w.print('r2', 'm2');
    await settle(20);
    w.print('r1', 'l4');
    await settle(20);
    expect(w.backfills).toEqual([{ tail: 3 }]);
    const texts = out.texts();
    expect(texts.slice(0, 3)).toEqual(['l2', 'm1', 'l3']);
    expect(texts).toEqual([...new Set(texts)]);
    expect(texts.slice(-2)).toEqual(['m2', 'l4']);
  });

  it('resumes exactly from the ring when it still holds the cursor: no engine read', async () => {
    const w = world();
    const first = sink();
    const feed = feedOf(w, first);
    await settle();
    w.print('r1', 'l1', 'l2', 'l3');
    await settle();
    const cursor = first.messages.flatMap((m) => (m.type === 'lines' ? m.lines : []))[1].cursor;
    const second = sink();
    feedOf(w, second, { cursor });
    await settle();
    w.print('r2', 'm1');
    await settle();
    feed.close();
    expect(second.texts()).toEqual(['l3', 'm1']);
    expect(w.backfills).toEqual([]);
  });

  it('fills from the engine what a new ring cannot: a cursor from before the app was watched, or from REST', async () => {
    const w = world();
    w.print('r1', 'l1', 'l2');
    w.print('r2', 'm1');
    w.print('r1', 'l3');
    // The cursor REST gave for l2 (no ring seq).
    const l2 = { timestamp: T(2), replica: 'r1', ordinal: 0 };
    const out = sink();
    feedOf(w, out, { cursor: cursorOf(l2) });
    await settle(2);
    w.print('r2', 'm2'); // while the history is read
    await settle(30);
    w.print('r1', 'l4');
    await settle(30);
    expect(w.backfills).toEqual([{ after: cursorOf(l2) }]);
    expect(out.texts()).toEqual(['m1', 'l3', 'm2', 'l4']);
  });

  it('fills a gap after the ring forgot the app (linger over), without gap or repeat', async () => {
    const w = world();
    const first = sink();
    const feed = feedOf(w, first);
    await settle();
    w.print('r1', 'l1', 'l2');
    await settle();
    const cursor = first.messages.flatMap((m) => (m.type === 'lines' ? m.lines : [])).at(-1)!.cursor;
    feed.close(); // last subscriber gone: the hub stops watching
    await settle();
    w.print('r1', 'l3'); // nobody watches: only in the engine's log
    w.print('r2', 'm1');
    const second = sink();
    feedOf(w, second, { cursor });
    await settle(30);
    w.print('r1', 'l4');
    await settle(30);
    expect(second.texts()).toEqual(['l3', 'm1', 'l4']);
  });

  it('waits while the sink is full, during history and live, and loses nothing it was not told about', async () => {
    const w = world();
    for (let i = 1; i <= 10; i++) w.print('r1', `h${i}`);
    let open = false;
    const out = sink(() => open);
    const feed = feedOf(w, out, { cursor: cursorOf({ timestamp: T(0), replica: 'r0', ordinal: 0 }) });
    await settle(30);
    // The first history message went out; the sink said "full", so the feed waits.
    expect(out.messages).toHaveLength(1);
    open = true;
    feed.resume();
    await settle(30);
    w.print('r2', 'live1');
    await settle(10);
    open = false;
    w.print('r2', 'live2');
    await settle(10);
    w.print('r2', 'live3');
    await settle(10);
    expect(out.texts().at(-1)).toBe('live2');
    open = true;
    feed.resume();
    await settle(10);
    expect(out.texts()).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `h${i + 1}`),
      'live1',
      'live2',
      'live3',
    ]);
  });

  it('tells the client when the history could not be read, then goes on live', async () => {
    const w = world();
    const failing: LogBackfill = () => ({
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('host down')) }),
    });
    const out = sink();
    hubs.push(w.hub);
    const errors: unknown[] = [];
    new LiveLogFeed({
      hub: w.hub,
      app: 'app',
      maxBufferedLines: 100,
      tail: 5,
      backfill: failing,
      sink: out,
      onBackfillError: (e) => errors.push(e),
    }).start();
    await settle(10);
    w.print('r1', 'after');
    await settle(10);
    expect(out.texts()).toEqual(['<dropped null>', 'after']);
    expect(errors).toHaveLength(1);
  });

  it('refuses a malformed cursor before subscribing', () => {
    const w = world();
    hubs.push(w.hub);
    expect(
      () =>
        new LiveLogFeed({
          hub: w.hub,
          app: 'app',
          maxBufferedLines: 10,
          cursor: 'nope',
          backfill: w.backfill,
          sink: sink(),
        }),
    ).toThrow(/cursor/);
    expect(w.hub.stats().subscribers).toBe(0);
  });
});
