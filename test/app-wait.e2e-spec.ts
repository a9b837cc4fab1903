import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { tarGz } from './support/archives.js';
import { cleanupTestRun, ensureRuntimeImage } from './support/docker.js';
import { httpGet, uploadBuild } from './support/lifecycle.js';

/** A dependency-free app answering `body` on $PORT (no npm install: the test needs no registry). */
function plainApp(body: string): Promise<Buffer> {
  return tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'waited', version: '1.0.0', main: 'server.js' }) },
    {
      name: 'server.js',
      body: `require('http').createServer((req, res) => res.end(${JSON.stringify(body)})).listen(process.env.PORT);`,
    },
  ]);
}

/** GET /v1/apps/{app}/wait: what a deploying client calls instead of polling the app. */
describe('GET /v1/apps/{app}/wait', () => {
  let api: TestApi;
  let owner: Session;
  let other: Session;

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    owner = await signupOwner(api, 'waiter');
    other = await signupOwner(api, 'other-tenant');
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'waited', replicas: 1 }).expect(201);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  it("answers once a replica of the build's release answers, with that release's endpoints", async () => {
    const buildId = await uploadBuild(api, owner, 'waited', await plainApp('waited v1'));
    const res = await api.http
      .get(`/v1/apps/waited/wait?build=${buildId}&timeout=60000`)
      .set(owner.auth)
      .timeout(90_000)
      .expect(200);
    expect(res.body).toMatchObject({ outcome: 'ready', reason: null, release: 1 });
    expect(res.body.endpoints).toHaveLength(1);
    expect(res.body.app.endpoints).toEqual(res.body.endpoints);
    // Listed only once it answers: the first call to the endpoint it gave is served.
    expect(await httpGet(res.body.endpoints[0])).toEqual({ status: 200, text: 'waited v1' });
    // Asked again, it answers at once; the current release is the default target.
    const current = await api.http.get('/v1/apps/waited/wait?timeout=1000').set(owner.auth).expect(200);
    expect(current.body).toMatchObject({ outcome: 'ready', release: 1 });
  }, 240_000);

  it('answers timeout when the release is not ready within the timeout', async () => {
    const res = await api.http.get('/v1/apps/waited/wait?release=99&timeout=300').set(owner.auth).expect(200);
    expect(res.body).toMatchObject({ outcome: 'timeout', release: 99, endpoints: [] });
  });

  it("is not found for another tenant's app, an unknown app or build", async () => {
    const foreign = await api.http.get('/v1/apps/waited/wait?timeout=100').set(other.auth).expect(404);
    expect(foreign.body.code).toBe('not_found');
    expect(foreign.headers['content-type']).toMatch(/application\/problem\+json/);
    await api.http.get('/v1/apps/nothing-here/wait?timeout=100').set(owner.auth).expect(404);
    const build = await api.http
      .get('/v1/apps/waited/wait?build=00000000-0000-4000-8000-000000000000&timeout=100')
      .set(owner.auth)
      .expect(404);
    expect(build.body.code).toBe('not_found');
  });

  it('refuses bad input with problem+json', async () => {
    for (const query of ['timeout=0', 'timeout=600000', 'timeout=soon', 'build=../x', 'release=0']) {
      const res = await api.http.get(`/v1/apps/waited/wait?${query}`).set(owner.auth);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const both = await api.http
      .get('/v1/apps/waited/wait?build=00000000-0000-4000-8000-000000000000&release=1')
      .set(owner.auth)
      .expect(400);
    expect(both.body.code).toBe('wait_target');
  });

  it('holds at most 10 waits of one tenant at once', async () => {
    const held = Array.from({ length: 10 }, () =>
      // then() sends it now (supertest sends on the first then).
      api.http
        .get('/v1/apps/waited/wait?release=99&timeout=3000')
        .set(owner.auth)
        .then((res) => res),
    );
    // Let the ten reach the service before the eleventh asks.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const extra = await api.http.get('/v1/apps/waited/wait?release=99&timeout=100').set(owner.auth);
    expect(extra.status).toBe(429);
    expect(extra.body.code).toBe('too_many_waits');
    // Another tenant is not held back by this one's waits.
    await api.http.get('/v1/apps/waited/wait?timeout=100').set(other.auth).expect(404);
    for (const res of await Promise.all(held)) expect(res.body.outcome).toBe('timeout');
  }, 30_000);
});
