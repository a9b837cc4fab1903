import { afterEach, describe, expect, it } from '@jest/globals';
import { FakeLogFollow, settle } from './testing/index.js';
import { LogHub } from './log-fanout.js';
import type { LogDelivery } from './log-subscriber.js';
import { cursorOf } from './log-entry.js';

const T = (n: number) => `2026-11-23T14:00:00.${String(n).padStart(9, '0')}Z`;
const LINE = 'x'.repeat(1000);

let hub: LogHub;
afterEach(() => hub?.close());

/** An app with one subscriber and its follow: `print(n)` writes n lines of 1,000 bytes. */
function chattyApp(app: string, options: { reads: boolean } = { reads: true }) {
  const got: LogDelivery[] = [];
  let reading = options.reads;
  const subscription = hub.subscribe({
    app,
    maxBufferedLines: 1000,
    send: (delivery) => (got.push(delivery), reading),
  });
  const follow = new FakeLogFollow();
  hub.attach({ app, key: `${app}-c`, replica: `${app}-r`, open: follow.open });
  let n = 0;
  return {
    got,
    lines: () => got.flatMap((d) => (Array.isArray(d) ? d : [])),
    dropped: () => got.filter((d) => !Array.isArray(d)),
    print: (count: number) => {
      for (let i = 0; i < count; i++) follow.lines([[T(++n), LINE]]);
    },
    read: () => {
      reading = true;
      subscription.resume();
    },
  };
}

describe('LogHub: the bytes of every ring together are bounded (totalRingBytes)', () => {
  it('holds the cap across many chatty apps, evicting what subscribers already have, idle rings first', async () => {
    hub = new LogHub({ ringBytes: 100_000, totalRingBytes: 250_000 });
    const apps = Array.from({ length: 6 }, (_, i) => chattyApp(`app${i}`));
    await settle();
    for (const app of apps) {
      app.print(90);
      await settle();
    }
    // Six rings of 90 KB each would hold 540 KB: the hub keeps to its cap, and no subscriber lost a line.
    expect(hub.stats().ringBytes).toBeLessThanOrEqual(250_000);
    for (const app of apps) {
      expect(app.lines()).toHaveLength(90);
      expect(app.dropped()).toEqual([]);
    }

    // The most recently written ring is the last to give up its lines: a resume there is still exact.
    const newest = apps[5].lines();
    const resumed: LogDelivery[] = [];
    hub.subscribe({
      app: 'app5',
      fromCursor: cursorOf(newest[0]),
      maxBufferedLines: 1000,
      send: (d) => (resumed.push(d), true),
    });
    await settle();
    expect(resumed.flatMap((d) => (Array.isArray(d) ? d : []))).toHaveLength(89);
    expect(resumed.filter((d) => !Array.isArray(d))).toEqual([]);

    // The oldest, idle ring gave up its lines: a resume there gets the exact count it missed.
    const oldest = apps[0].lines();
    const late: LogDelivery[] = [];
    hub.subscribe({
      app: 'app0',
      fromCursor: cursorOf(oldest[0]),
      maxBufferedLines: 1000,
      send: (d) => (late.push(d), true),
    });
    await settle();
    const [first] = late;
    expect(first).toMatchObject({ type: 'dropped' });
    expect((first as { count: number }).count).toBeGreaterThan(0);
  });

  it('when every ring holds unread lines, the largest ring gives up its oldest, as a dropped count', async () => {
    hub = new LogHub({ ringBytes: 200_000, totalRingBytes: 250_000 });
    const stuck = chattyApp('stuck', { reads: false });
    const other = chattyApp('other', { reads: false });
    await settle();
    stuck.print(150);
    await settle();
    other.print(120);
    await settle();
    expect(hub.stats().ringBytes).toBeLessThanOrEqual(250_000);

    stuck.read();
    await settle();
    const [marker] = stuck.dropped();
    expect(marker).toMatchObject({ type: 'dropped' });
    const count = (marker as { count: number }).count;
    // Every line printed is either delivered or counted (the first delivery went out before the read stopped).
    expect(stuck.lines().length + count).toBe(150);
    expect(count).toBeGreaterThan(0);
  });

  it('frees a ring whole when its app is no longer watched', async () => {
    hub = new LogHub({ totalRingBytes: 250_000 });
    const app = chattyApp('app');
    await settle();
    app.print(50);
    await settle();
    expect(hub.stats().ringBytes).toBe(50 * LINE.length);
    hub.close();
    expect(hub.stats().ringBytes).toBe(0);
  });
});
