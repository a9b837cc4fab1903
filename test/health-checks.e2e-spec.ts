import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { tarGz } from './support/archives.js';
import { migratedDataSource } from './support/database.js';
import { cleanupTestRun, ensureRuntimeImage, waitFor } from './support/docker.js';
import { uploadBuild, waitConverged, waitForBuild } from './support/lifecycle.js';

/**
 * A dependency-free app whose health answer its env decides: HEALTH_STATUS (default 200) on /healthz, or
 * 500 once FAIL_AFTER_MS have passed since it started. `/` names the env it runs with.
 */
function healthApp() {
  return tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'health', version: '1.0.0', main: 'server.js' }) },
    {
      name: 'server.js',
      body: `const http = require('http');
const started = Date.now();
const failAfter = process.env.FAIL_AFTER_MS ? Number(process.env.FAIL_AFTER_MS) : null;
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    const failing = failAfter !== null && Date.now() - started > failAfter;
    res.writeHead(failing ? 500 : Number(process.env.HEALTH_STATUS || 200)).end('health');
    return;
  }
  res.end('env ' + Object.keys(process.env).filter((k) => /^(HEALTH_STATUS|FAIL_AFTER_MS)$/.test(k)).join(','));
});
server.listen(process.env.PORT, () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
    },
  ]);
}

interface RolloutBody {
  state: string;
  version: number;
  reason: string | null;
  fromVersion: number | null;
  toVersion: number | null;
}

/**
 * Health checks on real Docker: a release whose health path answers 500 never replaces the healthy one
 * (which serves every request meanwhile), and a release that passes, rolls out and then fails inside its
 * rollback window is rolled back automatically, with the reason on the app's status and an audit event.
 */
describe('health checks and automatic rollback on real Docker', () => {
  let api: TestApi;
  let owner: Session;
  let db: DataSource;

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({
      runWorkers: true,
      reconcileIntervalMs: 500,
      drainDelayMs: 500,
      rolloutDeadlineMs: 30_000,
      rollbackWindowMs: 120_000,
    });
    owner = await signupOwner(api, 'health');
    db = await migratedDataSource();
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await db?.destroy();
    await cleanupTestRun();
  }, 120_000);

  async function appBody(): Promise<
    { release: { version: number } | null; rollout: RolloutBody | null } & Record<string, unknown>
  > {
    return (await api.http.get('/v1/apps/guarded').set(owner.auth).expect(200)).body;
  }

  it('refuses a health check that is not a bounded origin-form path or has crossed bounds (problem+json)', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'guarded' }).expect(201);
    for (const body of [
      { path: 'http://169.254.169.254/latest' },
      { path: '//other-host/healthz' },
      { path: '/' + 'a'.repeat(300) },
      { path: '/healthz', statusMin: 500, statusMax: 200 },
      { path: '/healthz', intervalMs: 1000, timeoutMs: 5000 },
      { path: '/healthz', failureThreshold: 0 },
      { path: '/healthz', host: 'evil.example' },
    ]) {
      const res = await api.http.put('/v1/apps/guarded/health-check').set(owner.auth).send(body);
      expect({ body, status: res.status, type: res.headers['content-type'] }).toEqual({
        body,
        status: 400,
        type: expect.stringContaining('application/problem+json'),
      });
      expect(res.body.code).toBe('validation_failed');
    }
    // Another tenant's app is not found, exactly like a missing one.
    const stranger = await signupOwner(api, 'health-stranger');
    const foreign = await api.http
      .put('/v1/apps/guarded/health-check')
      .set(stranger.auth)
      .send({ path: '/healthz' });
    expect({ status: foreign.status, code: foreign.body.code }).toEqual({ status: 404, code: 'not_found' });
    await api.http.delete('/v1/apps/guarded/health-check').set(stranger.auth).expect(404);
  });

  it('never lets a release answering 500 replace a healthy one, and rolls back one that fails after its rollout', async () => {
    const put = await api.http
      .put('/v1/apps/guarded/health-check')
      .set(owner.auth)
      .send({ path: '/healthz', intervalMs: 1000, timeoutMs: 1000, failureThreshold: 3 })
      .expect(202);
    expect(put.body.healthCheck).toMatchObject({ path: '/healthz', statusMin: 200, statusMax: 399 });

    const build = await uploadBuild(api, owner, 'guarded', await healthApp());
    expect((await waitForBuild(api, owner, 'guarded', build)).status).toBe('succeeded');
    const v1 = await waitConverged(api, owner, 'guarded');
    expect(v1).toMatchObject({ phase: 'running', release: { version: 1 } });
    expect((await appBody()).rollout).toMatchObject({ state: 'rolled_out', version: 1 });
    const [healthyEndpoint] = v1.endpoints;

    // 1. v2 answers 500 on its health path: the healthy v1 replica serves every request meanwhile.
    let served = 0;
    let failed = 0;
    let rolledBack = false;
    const traffic = (async () => {
      while (!rolledBack) {
        try {
          const res = await fetch(healthyEndpoint!, { signal: AbortSignal.timeout(3000) });
          await res.text();
          if (res.status === 200) served += 1;
          else failed += 1;
        } catch {
          failed += 1;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const started = Date.now();
    await api.http
      .patch('/v1/apps/guarded/env')
      .set(owner.auth)
      .send({ set: { HEALTH_STATUS: '500' } })
      .expect(202);
    const afterFirst = await waitFor(
      'the rollback of v2',
      async () => {
        const body = await appBody();
        return body.rollout?.state === 'rolled_back' ? body : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 300 },
    );
    rolledBack = true;
    await traffic;
    console.log(
      `v2 (health 500) rolled back after ${Date.now() - started} ms; requests to the healthy v1 replica meanwhile: ${served} served, ${failed} failed`,
    );
    expect(afterFirst.release).toMatchObject({ version: 1 });
    expect(afterFirst.rollout).toMatchObject({
      state: 'rolled_back',
      version: 1,
      fromVersion: 2,
      toVersion: 1,
      reason: expect.stringMatching(
        /of v2 failed its health check 3 times in a row: GET \/healthz answered 500/,
      ),
    });
    expect(failed).toBe(0);
    expect(served).toBeGreaterThan(0);
    const back = await waitConverged(api, owner, 'guarded');
    expect(back.endpoints).toEqual([healthyEndpoint]);
    const releases = (await api.http.get('/v1/apps/guarded/releases').set(owner.auth).expect(200)).body;
    expect(releases.find((r: { version: number }) => r.version === 2)).toMatchObject({
      failureReason: expect.stringContaining('answered 500'),
      healthCheck: expect.objectContaining({ path: '/healthz' }),
    });

    // 2. v3 passes at first, rolls out (v1 stops), then fails inside the window: rolled back to v1.
    await api.http
      .patch('/v1/apps/guarded/env')
      .set(owner.auth)
      .send({ set: { FAIL_AFTER_MS: '20000' } })
      .expect(202);
    await waitFor(
      'v3 rolled out',
      async () => {
        const body = await appBody();
        return body.release?.version === 3 && body.rollout?.state === 'rolled_out';
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const rolledOut = await waitConverged(api, owner, 'guarded');
    expect(rolledOut.endpoints).toHaveLength(1);
    expect(rolledOut.endpoints).not.toEqual([healthyEndpoint]);
    const afterSecond = await waitFor(
      'the rollback of v3',
      async () => {
        const body = await appBody();
        return body.rollout?.state === 'rolled_back' && body.rollout.fromVersion === 3 ? body : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 300 },
    );
    expect(afterSecond.rollout).toMatchObject({
      version: 1,
      toVersion: 1,
      reason: expect.stringContaining('answered 500'),
    });
    const restored = await waitConverged(api, owner, 'guarded');
    expect(restored.release).toMatchObject({ version: 1 });
    const answer = await fetch(restored.endpoints[0]!, { signal: AbortSignal.timeout(3000) });
    expect(await answer.text()).toBe('env ');

    const appId = (await appBody()).id;
    const events: { data: { fromVersion: number; toVersion: number } }[] = await db.query(
      `SELECT data FROM audit_events WHERE action = 'release.auto_rollback' AND target = $1 ORDER BY created_at`,
      [`app:${appId}`],
    );
    expect(events.map((e) => [e.data.fromVersion, e.data.toVersion])).toEqual([
      [2, 1],
      [3, 1],
    ]);
    // The tenant's event feed tells the same two rollbacks.
    const feed = await api.http
      .get('/v1/events')
      .set(owner.auth)
      .query({ app: 'guarded', type: 'rollout.rolled_back' })
      .expect(200);
    expect(
      (feed.body.events as { data: { fromVersion: number; toVersion: number } }[]).map((e) => [
        e.data.fromVersion,
        e.data.toVersion,
      ]),
    ).toEqual([
      [2, 1],
      [3, 1],
    ]);
  });
});
