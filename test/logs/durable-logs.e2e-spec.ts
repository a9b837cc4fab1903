import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, waitFor } from '../support/docker.js';
import { uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { breaks, tickerApp } from './log-apps.js';

const APP = 'durable';

interface Line {
  timestamp: string;
  replica: string;
  containerId: string;
  stream: string;
  text: string;
  cursor: string;
}

/** `tick <n>` numbers of these lines, in order. */
function ticks(lines: Line[]): number[] {
  return lines.flatMap((line) => {
    const match = /^tick (\d+)$/.exec(line.text);
    return match && line.stream === 'stdout' ? [Number(match[1])] : [];
  });
}

/**
 * Durable logs on real Docker (issue #17: "a removed replica's lines are still readable after the container
 * is gone"): an app that numbers its lines runs with the archiver on; it is scaled to zero, its container
 * is removed from Docker (checked), and its lines are still read by REST, in order and without a gap, and a
 * cursor taken before the removal resumes exactly after its line. Another tenant sees nothing.
 */
describe('durable logs on real Docker', () => {
  let api: TestApi;
  let owner: Session;

  const read = async (query: string): Promise<{ lines: Line[]; hasMore: boolean; nextCursor: string }> =>
    (await api.http.get(`/v1/apps/${APP}/logs?${query}`).set(owner.auth).expect(200)).body;

  /** Every line from `query` on, page after page. */
  async function readAll(query: string): Promise<Line[]> {
    const all: Line[] = [];
    let page = await read(`${query}&limit=10000`);
    all.push(...page.lines);
    while (page.hasMore) {
      page = await read(`after=${encodeURIComponent(page.nextCursor)}&limit=10000`);
      all.push(...page.lines);
    }
    return all;
  }

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({
      runWorkers: true,
      logArchive: true,
      reconcileIntervalMs: 500,
      drainDelayMs: 500,
      logLingerMs: 0,
    });
    owner = await signupOwner(api, 'durable-logs');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'hobby' }).expect(200);
    await api.http.post('/v1/apps').set(owner.auth).send({ name: APP }).expect(201);
  }, 180_000);

  afterAll(async () => {
    await api?.http.delete(`/v1/apps/${APP}`).set(owner.auth);
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  it("keeps a removed replica's lines readable after its container is gone, resumable by cursor", async () => {
    const buildId = await uploadBuild(api, owner, APP, await tickerApp());
    expect(await waitForBuild(api, owner, APP, buildId)).toMatchObject({ status: 'succeeded' });
    await waitConverged(api, owner, APP);

    // 60 ticks (3 s), and a cursor on tick 20 taken while the container runs.
    const running = await waitFor(
      '60 ticks',
      async () => {
        const lines = await readAll('since=2000-01-01T00:00:00Z');
        return ticks(lines).length >= 60 ? lines : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const tick20 = running.find((l) => l.text === 'tick 20')!;
    expect(tick20).toBeDefined();
    const { replica, containerId } = tick20;

    await api.http.patch(`/v1/apps/${APP}`).set(owner.auth).send({ replicas: 0 }).expect(202);
    await waitConverged(api, owner, APP);
    await waitFor(
      'the container to be removed from Docker',
      async () =>
        (await testEngine().inspectContainer({ id: containerId })) === undefined ? true : undefined,
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(await testEngine().inspectContainer({ id: containerId })).toBeUndefined();

    // Every tick from 1 to the last one printed, from the store only (the container is gone).
    const kept = await waitFor(
      'the last archived lines',
      async () => {
        const lines = await readAll('since=2000-01-01T00:00:00Z');
        return ticks(lines).length >= ticks(running).length ? lines : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const numbers = ticks(kept);
    expect(numbers[0]).toBe(1);
    expect(breaks(numbers)).toEqual([]);
    expect(numbers.length).toBeGreaterThanOrEqual(60);
    expect(kept.every((l) => l.replica === replica && l.containerId === containerId)).toBe(true);
    const order = kept.map((l) => l.timestamp);
    expect(order).toEqual([...order].sort());
    // The same lines keep the same cursors as when Docker gave them.
    const keptCursors = new Map(kept.map((l) => [l.text, l.cursor]));
    expect(running.map((l) => keptCursors.get(l.text))).toEqual(running.map((l) => l.cursor));

    // The cursor taken before the removal resumes exactly after tick 20.
    const resumed = await readAll(`after=${encodeURIComponent(tick20.cursor)}`);
    expect(ticks(resumed)[0]).toBe(21);
    expect(ticks(resumed)).toEqual(numbers.filter((n) => n > 20));
    // tail reads the store as well.
    const tail = await read('tail=5');
    expect(tail.lines.map((l) => l.text)).toEqual(kept.slice(-5).map((l) => l.text));

    // Another tenant: not found, no line.
    const stranger = await signupOwner(api, 'durable-stranger');
    const refused = await api.http.get(`/v1/apps/${APP}/logs?tail=10`).set(stranger.auth).expect(404);
    expect(JSON.stringify(refused.body)).not.toContain('tick');
  }, 360_000);
});
