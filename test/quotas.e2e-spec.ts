import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OPERATOR, login, signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { tarGz } from './support/archives.js';
import { cleanupTestRun, ensureRuntimeImage } from './support/docker.js';
import { uploadBuild, waitConverged, waitForBuild } from './support/lifecycle.js';

const TIGHT = {
  name: 'Tight',
  memoryMb: 64,
  cpuMillis: 100,
  maxApps: 2,
  maxReplicasPerApp: 3,
  maxTotalMemoryMb: 128,
  loadBalancerAllowed: false,
  maxUploadMb: 1,
  buildTimeoutSeconds: 30,
  concurrentBuilds: 1,
};

/** A dependency-free app that builds in seconds. */
const tinyApp = () =>
  tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'tiny', version: '1.0.0', main: 'index.js' }) },
    {
      name: 'index.js',
      body: "require('http').createServer((q, s) => s.end('tiny')).listen(process.env.PORT);",
    },
  ]);

/** Its install step outlasts the plan's 30 s build timeout. */
const slowBuild = () =>
  tarGz([
    {
      name: 'package.json',
      body: JSON.stringify({
        name: 'slow',
        version: '1.0.0',
        main: 'index.js',
        scripts: { install: 'node -e "setTimeout(() => {}, 120000)"' },
      }),
    },
    { name: 'index.js', body: '' },
  ]);

describe('quotas from the plan, at every entry point', () => {
  let api: TestApi;
  let owner: Session;
  const planId = `tight-${Date.now().toString(36)}`;

  const expectQuota = (
    res: { status: number; body: Record<string, unknown> },
    quota: string,
    limit: number,
    current: number,
    requested: number,
    status = 403,
  ) => {
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ code: 'quota_exceeded', quota, limit, current, requested });
  };

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    const operator = await login(api, OPERATOR.email, OPERATOR.password);
    await api.http
      .post('/v1/admin/plans')
      .set(operator.auth)
      .send({ id: planId, ...TIGHT })
      .expect(201);
    owner = await signupOwner(api, 'quota');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId }).expect(200);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  it('limits the number of apps and replicas per app', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'one' }).expect(201);
    expectQuota(
      await api.http.post('/v1/apps').set(owner.auth).send({ name: 'two', replicas: 4 }),
      'maxReplicasPerApp',
      3,
      0,
      4,
    );
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'two' }).expect(201);
    expectQuota(await api.http.post('/v1/apps').set(owner.auth).send({ name: 'three' }), 'maxApps', 2, 2, 1);
    expectQuota(
      await api.http.patch('/v1/apps/one').set(owner.auth).send({ replicas: 4 }),
      'maxReplicasPerApp',
      3,
      0,
      4,
    );
  });

  it('refuses load balancers on a plan without them', async () => {
    expectQuota(
      await api.http.put('/v1/apps/one/load-balancer').set(owner.auth).send({}),
      'loadBalancerAllowed',
      0,
      0,
      1,
    );
  });

  it('limits the total memory of the containers apps want, started or not', async () => {
    const build = await uploadBuild(api, owner, 'one', await tinyApp());
    expect((await waitForBuild(api, owner, 'one', build)).status).toBe('succeeded');
    await waitConverged(api, owner, 'one');
    // 'two' has no release yet, but its replica is wanted: 2 × 64 MB of a 128 MB cap already.
    expectQuota(
      await api.http.patch('/v1/apps/one').set(owner.auth).send({ replicas: 2 }),
      'maxTotalMemoryMb',
      128,
      128,
      64,
    );
    await api.http.post('/v1/apps/two/stop').set(owner.auth).expect(202);
    await api.http.patch('/v1/apps/one').set(owner.auth).send({ replicas: 2 }).expect(202);
    // 2 × 64 MB wanted; a third replica would make 192 MB of a 128 MB cap.
    expectQuota(
      await api.http.patch('/v1/apps/one').set(owner.auth).send({ replicas: 3 }),
      'maxTotalMemoryMb',
      128,
      128,
      64,
    );
    const quota = await api.http.get('/v1/tenant/quota').set(owner.auth).expect(200);
    expect(quota.body).toMatchObject({
      planId,
      limits: { maxApps: 2, maxTotalMemoryMb: 128, memoryMb: 64 },
      usage: { apps: 2, containers: 2, totalMemoryMb: 128 },
    });
  }, 180_000);

  it('limits upload size, concurrent builds and build time', async () => {
    const big = await api.http
      .post('/v1/apps/two/builds')
      .set(owner.auth)
      .set('Content-Type', 'application/gzip')
      .send(Buffer.alloc(2 * 1024 * 1024, 7));
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('upload_too_large');

    const slow = await uploadBuild(api, owner, 'two', await slowBuild());
    expectQuota(
      await api.http
        .post('/v1/apps/two/builds')
        .set(owner.auth)
        .set('Content-Type', 'application/gzip')
        .send(await tinyApp()),
      'concurrentBuilds',
      1,
      1,
      1,
      429,
    );
    const finished = await waitForBuild(api, owner, 'two', slow, 120_000);
    expect(finished.status).toBe('failed');
    expect(finished.error).toMatch(/timed out after 30 s/);
  }, 180_000);

  it('re-sizes releases on a plan switch and refuses one that use does not fit, naming the limits', async () => {
    const res = await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'free' });
    // free allows 2 apps and 2 replicas of 128 MB within 512 MB: this tenant fits…
    expect(res.status).toBe(200);
    // …and its release is re-sized to free's 128 MB: what runs, and is metered, follows the plan.
    const releases = await api.http.get('/v1/apps/one/releases').set(owner.auth).expect(200);
    expect(releases.body[0]).toMatchObject({ version: 2, memoryMb: 128, replicas: 2 });
    const quota = await api.http.get('/v1/tenant/quota').set(owner.auth).expect(200);
    expect(quota.body.usage).toMatchObject({ containers: 2, totalMemoryMb: 256 });
    const operator = await login(api, OPERATOR.email, OPERATOR.password);
    const small = `small-${Date.now().toString(36)}`;
    await api.http
      .post('/v1/admin/plans')
      .set(operator.auth)
      .send({ id: small, ...TIGHT, maxApps: 1, maxTotalMemoryMb: 64 })
      .expect(201);
    const refused = await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: small });
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('plan_does_not_fit');
    expect(refused.body.violations).toEqual(
      expect.arrayContaining([
        { quota: 'maxApps', limit: 1, current: 2 },
        { quota: 'maxTotalMemoryMb', limit: 64, current: 128 },
      ]),
    );
    const me = await api.http.get('/v1/me').set(owner.auth).expect(200);
    expect(me.body.tenant.planId).toBe('free');
  });

  it('issue 14: hobby apps of 5 replicas before their first build never run past 2,048 MB', async () => {
    const hobby = await signupOwner(api, 'hobby');
    await api.http.put('/v1/tenant/plan').set(hobby.auth).send({ planId: 'hobby' }).expect(200);
    await api.http.post('/v1/apps').set(hobby.auth).send({ name: 'a', replicas: 5 }).expect(201);
    // 5 wanted replicas × 256 MB are counted before any build: a second app of 5 is refused up front.
    expectQuota(
      await api.http.post('/v1/apps').set(hobby.auth).send({ name: 'b', replicas: 5 }),
      'maxTotalMemoryMb',
      2048,
      1280,
      1280,
    );
    await api.http.post('/v1/apps').set(hobby.auth).send({ name: 'b', replicas: 3 }).expect(201);
    expectQuota(
      await api.http.post('/v1/apps').set(hobby.auth).send({ name: 'c' }),
      'maxTotalMemoryMb',
      2048,
      2048,
      256,
    );
    for (const name of ['a', 'b']) {
      const build = await uploadBuild(api, hobby, name, await tinyApp());
      expect((await waitForBuild(api, hobby, name, build)).status).toBe('succeeded');
    }
    await waitConverged(api, hobby, 'a');
    await waitConverged(api, hobby, 'b');
    const quota = await api.http.get('/v1/tenant/quota').set(hobby.auth).expect(200);
    expect(quota.body.usage).toMatchObject({ containers: 8, totalMemoryMb: 2048 });
    const releases = await api.http.get('/v1/apps/a/releases').set(hobby.auth).expect(200);
    expect(releases.body[0]).toMatchObject({ version: 1, memoryMb: 256, replicas: 5 });
  }, 300_000);
});
