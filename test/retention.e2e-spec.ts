import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { OPERATOR, login, signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { tarGz } from './support/archives.js';
import { migratedDataSource } from './support/database.js';
import { cleanupTestRun, ensureRuntimeImage, waitFor } from './support/docker.js';
import { uploadBuild, waitForBuild } from './support/lifecycle.js';
import { StreamClient, wsUrl } from './logs/stream-client.js';

/** One day of events, the output of the newest finished run per app only. */
const PLAN = {
  name: 'Short memory',
  memoryMb: 64,
  cpuMillis: 250,
  maxApps: 1,
  maxReplicasPerApp: 1,
  maxTotalMemoryMb: 256,
  loadBalancerAllowed: false,
  maxUploadMb: 1,
  buildTimeoutSeconds: 120,
  concurrentBuilds: 1,
  eventRetentionDays: 1,
  runRetention: 1,
};

const tinyApp = () =>
  tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'tiny', version: '1.0.0', main: 'index.js' }) },
    {
      name: 'index.js',
      body: "require('http').createServer((q, s) => s.end('tiny')).listen(process.env.PORT);",
    },
  ]);

interface RunBody {
  id: string;
  state: string;
  finishedAt: string | null;
  expiredAt: string | null;
}

interface EventsPageBody {
  events: { seq: string; type: string }[];
  nextCursor: string | null;
}

/**
 * Retention through the API on real PostgreSQL and Docker, with the loop every 300 ms: a run beyond the
 * plan's runRetention loses its output (410 run_expired, its record stays), an event older than the
 * plan's eventRetentionDays leaves GET /v1/events and a cursor pointing before it starts at the oldest kept.
 */
describe('retention', () => {
  let api: TestApi;
  let owner: Session;
  let db: DataSource;
  const planId = `retention-${Date.now().toString(36)}`;

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500, retentionIntervalMs: 300 });
    db = await migratedDataSource();
    const operator = await login(api, OPERATOR.email, OPERATOR.password);
    // Bounds of the plan settings.
    for (const wrong of [{ eventRetentionDays: 0 }, { eventRetentionDays: 91 }, { runRetention: 0 }]) {
      await api.http
        .post('/v1/admin/plans')
        .set(operator.auth)
        .send({ id: planId, ...PLAN, ...wrong })
        .expect(400);
    }
    const created = await api.http
      .post('/v1/admin/plans')
      .set(operator.auth)
      .send({ id: planId, ...PLAN })
      .expect(201);
    expect(created.body).toMatchObject({ eventRetentionDays: 1, runRetention: 1 });
    owner = await signupOwner(api, 'retention');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId }).expect(200);
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'web' }).expect(201);
  }, 120_000);

  afterAll(async () => {
    await db?.destroy();
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  const runOf = async (id: string): Promise<RunBody> =>
    (await api.http.get(`/v1/apps/web/runs/${id}`).set(owner.auth).expect(200)).body as RunBody;
  const runToEnd = async (command: string): Promise<RunBody> => {
    const started = await api.http.post('/v1/apps/web/runs').set(owner.auth).send({ command }).expect(202);
    return waitFor(
      `run ${command} to end`,
      async () => {
        const run = await runOf(started.body.id as string);
        return run.finishedAt ? run : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 300 },
    );
  };

  it("answers 410 run_expired for a run beyond the plan's runRetention; the newest keeps its output", async () => {
    const build = await uploadBuild(api, owner, 'web', await tinyApp());
    expect((await waitForBuild(api, owner, 'web', build)).status).toBe('succeeded');

    const first = await runToEnd('echo first');
    expect(first.state).toBe('succeeded');
    const second = await runToEnd('echo second');
    expect(second.state).toBe('succeeded');

    const expired = await waitFor(
      'the first run to expire',
      async () => {
        const run = await runOf(first.id);
        return run.expiredAt ? run : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    expect(expired).toMatchObject({ id: first.id, state: 'succeeded' });
    const gone = await api.http.get(`/v1/apps/web/runs/${first.id}/output`).set(owner.auth);
    expect(gone.status).toBe(410);
    expect(gone.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(gone.body).toMatchObject({ status: 410, code: 'run_expired' });

    // The WebSocket follow refuses it the same way (close 4000 + status, the code as reason).
    const stream = StreamClient.open(wsUrl(api.url, `/v1/apps/web/runs/${first.id}/log-stream`), {
      headers: owner.auth,
    });
    expect(await stream.closed).toEqual({ code: 4410, reason: 'run_expired' });

    const kept = await api.http.get(`/v1/apps/web/runs/${second.id}/output`).set(owner.auth).expect(200);
    expect(kept.body.lines.map((line: { text: string }) => line.text)).toEqual(['second']);
    expect((await runOf(second.id)).expiredAt).toBeNull();
  }, 300_000);

  it("drops an event older than the plan's eventRetentionDays from GET /v1/events; a cursor before it still reads", async () => {
    const feed = async (query: Record<string, string> = {}) =>
      (await api.http.get('/v1/events').set(owner.auth).query(query).expect(200)).body as EventsPageBody;
    const all = await feed({ limit: '1000' });
    const created = all.events.find((event) => event.type === 'app.created');
    expect(created).toBeDefined();
    const cursor = String(BigInt(created!.seq) - 1n);
    // Its day passes: the row's age is the only thing the test can set (a day is too long to wait).
    await db.query(`UPDATE events SET created_at = now() - interval '1 day 1 minute' WHERE seq = $1`, [
      created!.seq,
    ]);
    await waitFor(
      'the old event to leave the feed',
      async () =>
        (await feed({ limit: '1000' })).events.some((event) => event.seq === created!.seq) ? undefined : true,
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    const resumed = await feed({ after: cursor, limit: '1' });
    const oldestKept = all.events.find(
      (event) => event.seq !== created!.seq && BigInt(event.seq) > BigInt(cursor),
    );
    expect(resumed.events.map((event) => event.seq)).toEqual([oldestKept!.seq]);
  }, 60_000);
});
