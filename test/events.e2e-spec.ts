import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { tarGz } from './support/archives.js';
import { cleanupTestRun, ensureRuntimeImage, waitFor } from './support/docker.js';
import { httpGet, uploadBuild, waitConverged, waitForBuild } from './support/lifecycle.js';
import { StreamClient, wsUrl } from './logs/stream-client.js';

interface EventBody {
  seq: string;
  type: string;
  appId: string | null;
  subject: string | null;
  data: Record<string, unknown>;
}
interface EventsPageBody {
  events: EventBody[];
  nextCursor: string | null;
}

/** A dependency-free app: `/` answers, `/hog` makes it allocate until the kernel kills it (OOM). */
function hungryApp(): Promise<Buffer> {
  return tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'hungry', version: '1.0.0', main: 'server.js' }) },
    {
      name: 'server.js',
      body: `const http = require('http');
const held = [];
http.createServer((req, res) => {
  if (req.url === '/hog') {
    res.end('eating');
    setInterval(() => held.push(Buffer.alloc(16 * 1024 * 1024, 1)), 20);
    return;
  }
  res.end('fed');
}).listen(Number(process.env.PORT), () => console.log('listening'));
process.on('SIGTERM', () => process.exit(0));
`,
    },
  ]);
}

/** The tenant event feed on real PostgreSQL and Docker: every step of a deploy, a refusal, an OOM kill. */
describe('events', () => {
  let api: TestApi;
  let owner: Session;
  let rival: Session;
  const APP = 'eventful';

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 300, quotaEventWindowMs: 2000 });
    owner = await signupOwner(api, 'events');
    rival = await signupOwner(api, 'events-rival');
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  const feed = async (session: Session, query: Record<string, string | number> = {}) =>
    (await api.http.get('/v1/events').set(session.auth).query(query).expect(200)).body as EventsPageBody;
  const typesOf = (page: EventsPageBody) => page.events.map((event) => event.type);

  it('tells every step of a first deploy, in the order it happened', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: APP }).expect(201);
    const buildId = await uploadBuild(api, owner, APP, await hungryApp());
    expect(await waitForBuild(api, owner, APP, buildId)).toMatchObject({ status: 'succeeded' });
    await waitConverged(api, owner, APP, 120_000);
    const page = await waitFor(
      'the rollout to finish in the feed',
      async () => {
        const current = await feed(owner, { app: APP });
        return typesOf(current).includes('rollout.finished') ? current : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    const types = typesOf(page);
    const order = [
      'app.created',
      'build.queued',
      'build.started',
      'build.succeeded',
      'release.created',
      'rollout.started',
      'replica.started',
      'rollout.finished',
    ];
    expect(types).toEqual(expect.arrayContaining(order));
    const positions = order.map((type) => types.indexOf(type));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    const seqs = page.events.map((event) => BigInt(event.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : 1)));
    expect(page.events.find((event) => event.type === 'build.succeeded')).toMatchObject({
      subject: `build:${buildId}`,
      data: { buildId },
    });
    expect(page.events.find((event) => event.type === 'release.created')).toMatchObject({
      data: expect.objectContaining({ version: 1, buildId }),
    });
    // Only build events with a prefix filter.
    expect(new Set(typesOf(await feed(owner, { type: 'build.' })))).toEqual(
      new Set(['build.queued', 'build.started', 'build.succeeded']),
    );
  }, 300_000);

  it('follows by cursor: a quota refusal and a scale come after, nothing twice', async () => {
    const { nextCursor } = await feed(owner);
    expect(nextCursor).not.toBeNull();
    await api.http.patch(`/v1/apps/${APP}`).set(owner.auth).send({ replicas: 500 }).expect(403);
    await api.http.patch(`/v1/apps/${APP}`).set(owner.auth).send({ replicas: 2 }).expect(202);
    const after = await feed(owner, { after: nextCursor! });
    expect(typesOf(after).slice(0, 2)).toEqual(['quota.refused', 'app.scaled']);
    expect(after.events[0]).toMatchObject({
      subject: 'quota:maxReplicasPerApp',
      data: expect.objectContaining({ quota: 'maxReplicasPerApp', requested: 500, method: 'PATCH' }),
    });
    expect(after.events[0].appId).toBe(after.events[1].appId);
    expect(after.events[1].data).toEqual({ from: 1, to: 2 });
    expect(after.events.every((event) => BigInt(event.seq) > BigInt(nextCursor!))).toBe(true);
    // Nothing new yet: the cursor stays where it was.
    const idle = await feed(owner, { after: after.nextCursor!, type: 'quota.refused' });
    expect(idle).toEqual({ events: [], nextCursor: after.nextCursor });
  }, 120_000);

  it('folds a flood of refused requests into at most two events per window, whose counts add up to every refusal', async () => {
    const { nextCursor } = await feed(owner, { type: 'quota.refused' });
    // A window of its own: the app's earlier refusal may still hold the last one open.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const FLOOD = 200;
    const started = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: FLOOD }, () =>
        api.http.patch(`/v1/apps/${APP}`).set(owner.auth).send({ replicas: 900 }),
      ),
    ).then((answers) => answers.map((answer) => answer.status));
    const floodMs = Date.now() - started;
    expect(statuses.every((status) => status === 403)).toBe(true);
    const refused = await waitFor(
      'the flood counted in full',
      async () => {
        const page = await feed(owner, { after: nextCursor!, type: 'quota.refused' });
        const total = page.events.reduce((sum, event) => sum + Number(event.data.refusals), 0);
        return total >= FLOOD ? page.events : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250 },
    );
    console.log(`${FLOOD} refused requests in ${floodMs} ms wrote ${refused.length} quota.refused events`);
    // Every refusal counted once; at most two events per 2 s window the flood spanned.
    expect(refused.reduce((sum, event) => sum + Number(event.data.refusals), 0)).toBe(FLOOD);
    expect(refused.length).toBeLessThanOrEqual(2 * (Math.ceil(floodMs / 2000) + 1));
    expect(refused[0]!.data.refusals).toBe(1);
    expect(refused.at(-1)).toMatchObject({ subject: 'quota:maxReplicasPerApp', data: { requested: 900 } });
  }, 60_000);

  it("sends the app's events on its live WebSocket stream as they are written", async () => {
    const stream = StreamClient.open(wsUrl(api.url, `/v1/apps/${APP}/log-stream`), { headers: owner.auth });
    try {
      await stream.connected();
      // The stream's watch starts with the events written after it opened: scale down and back up until
      // one arrives (the app ends with the 2 replicas it had).
      const scaled = () =>
        (stream.messages as unknown as { type: string; event?: EventBody }[]).find(
          (m) => m.type === 'event' && m.event?.type === 'app.scaled',
        )?.event;
      const live = await waitFor(
        'an app.scaled event message',
        async () => {
          for (const replicas of [1, 2]) {
            await api.http.patch(`/v1/apps/${APP}`).set(owner.auth).send({ replicas }).expect(202);
          }
          return stream.until('an event message', scaled, 3000).catch(() => undefined);
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      expect(live).toMatchObject({ type: 'app.scaled', subject: `app:${APP}`, seq: expect.any(String) });
      // The same event, by its seq, in the record.
      const record = await feed(owner, { after: String(BigInt(live.seq) - 1n), limit: 1 });
      expect(record.events[0]).toMatchObject({ seq: live.seq, type: 'app.scaled' });
    } finally {
      await stream.close();
    }
  }, 60_000);

  it('reports an out-of-memory kill and the restart that follows', async () => {
    const app = await waitConverged(api, owner, APP, 120_000);
    const { nextCursor } = await feed(owner);
    // Whichever replica answers is the one that eats: one kill is enough.
    expect(await httpGet(`${app.endpoints[0]}/hog`)).toEqual({ status: 200, text: 'eating' });
    let last: EventsPageBody | undefined;
    const seen = await waitFor(
      'the OOM kill and the restart',
      async () => {
        const page = await feed(owner, { after: nextCursor!, type: 'replica.' });
        const types = typesOf(page);
        last = page;
        return types.includes('replica.oom_killed') && types.includes('replica.restarted') ? page : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    ).catch(async (error: Error) => {
      const status = (await api.http.get(`/v1/apps/${APP}`).set(owner.auth)).body as unknown;
      throw new Error(
        `${error.message}; seen: ${JSON.stringify(last?.events)}; app: ${JSON.stringify(status)}`,
      );
    });
    const killed = seen.events.find((event) => event.type === 'replica.oom_killed')!;
    const restarted = seen.events.find((event) => event.type === 'replica.restarted')!;
    expect(killed.subject).toBe(restarted.subject);
    expect(BigInt(killed.seq) < BigInt(restarted.seq)).toBe(true);
    expect(killed.data).toMatchObject({ error: 'killed: out of memory' });
    console.log(`events: OOM kill of ${killed.subject} then restart (${seen.events.length} replica events)`);
  }, 150_000);

  it('keeps tenants apart and refuses a bad filter with problem+json', async () => {
    const theirs = await feed(rival);
    expect(theirs.events.every((event) => event.type !== 'build.succeeded')).toBe(true);
    await api.http.get('/v1/events').set(rival.auth).query({ app: APP }).expect(404);
    for (const query of [
      { type: 'DROP TABLE' },
      { after: 'abc' },
      { limit: 0 },
      { limit: 1001 },
      { app: '../x' },
    ]) {
      const response = await api.http.get('/v1/events').set(owner.auth).query(query);
      expect({ query, status: response.status, type: response.type }).toEqual({
        query,
        status: 400,
        type: 'application/problem+json',
      });
    }
    await api.http.get('/v1/events').expect(401);
  });
});
