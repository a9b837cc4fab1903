import { describe, expect, it } from '@jest/globals';
import { type WatchedAppState, WatchedAppsPoll } from './watched-apps-poll.js';

const replica = (appId: string, id: string) => ({
  id,
  appId,
  hostId: 'h',
  containerId: `c-${id}`,
  startedAt: null,
});

function pollOver(states: Map<string, WatchedAppState>) {
  const reads: string[][] = [];
  const poll = new WatchedAppsPoll({
    read: async (appIds) => {
      reads.push([...appIds].sort());
      return new Map([...states].filter(([id]) => appIds.includes(id)));
    },
    intervalMs: 60_000,
    burstIntervalMs: 60_000,
    burstMs: 0,
    onError: (error) => {
      throw error;
    },
  });
  return { poll, reads };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('WatchedAppsPoll', () => {
  it('reads every watched app in one read and hands each watch its own app', async () => {
    const states = new Map<string, WatchedAppState>([
      ['a', { exists: true, replicas: [replica('a', '1')] }],
      ['b', { exists: true, replicas: [replica('b', '2'), replica('b', '3')] }],
    ]);
    const { poll, reads } = pollOver(states);
    const seen: Record<string, string[]> = { a: [], b: [] };
    const stopA = poll.subscribe('a', (s) => seen.a.push(...s.replicas.map((r) => r.id)));
    const stopB = poll.subscribe('b', (s) => seen.b.push(...s.replicas.map((r) => r.id)));
    await settle();
    // The first subscription's read may have started alone; after that, one read covers both apps.
    expect(reads[reads.length - 1]).toEqual(['a', 'b']);
    expect(new Set(seen.a)).toEqual(new Set(['1']));
    expect(new Set(seen.b)).toEqual(new Set(['2', '3']));
    const readsBefore = reads.length;
    poll.changed('b');
    await settle();
    expect(reads.length).toBe(readsBefore + 1);
    stopA();
    stopB();
    await settle();
    expect(poll.watchedApps).toBe(0);
  });

  it('tells a watch its app is gone when the read does not return it', async () => {
    const { poll } = pollOver(new Map());
    const state = await new Promise<WatchedAppState>((resolve) => {
      const stop = poll.subscribe('deleted', (s) => {
        stop();
        resolve(s);
      });
    });
    expect(state).toEqual({ exists: false, replicas: [] });
  });

  it('ignores changes of apps nobody watches', async () => {
    const { poll, reads } = pollOver(new Map([['a', { exists: true, replicas: [] }]]));
    const stop = poll.subscribe('a', () => undefined);
    await settle();
    const readsBefore = reads.length;
    poll.changed('other');
    await settle();
    expect(reads.length).toBe(readsBefore);
    stop();
  });
});
