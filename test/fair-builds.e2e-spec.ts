import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OPERATOR, login, signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { tarGz } from './support/archives.js';
import { cleanupTestRun, ensureRuntimeImage, waitFor } from './support/docker.js';
import { uploadBuild, waitForBuild } from './support/lifecycle.js';

/** A dependency-free app that builds in seconds. */
const tinyApp = () =>
  tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'tiny', version: '1.0.0', main: 'index.js' }) },
    {
      name: 'index.js',
      body: "require('http').createServer((q, s) => s.end('tiny')).listen(process.env.PORT);",
    },
  ]);

/** Its install step holds a build slot for 20 s: long enough to queue everything behind it. */
const holdingApp = () =>
  tarGz([
    {
      name: 'package.json',
      body: JSON.stringify({
        name: 'holding',
        version: '1.0.0',
        main: 'index.js',
        scripts: { install: 'node -e "setTimeout(() => {}, 20000)"' },
      }),
    },
    { name: 'index.js', body: '' },
  ]);

interface BuildRow {
  id: string;
  status: string;
  startedAt: string | null;
}

describe('build slots: reserved before the upload is read', () => {
  let api: TestApi;

  beforeAll(async () => {
    // No build workers: nothing is claimed, so every accepted upload keeps its slot for the whole test.
    api = await startTestApi({ runWorkers: false });
  }, 120_000);
  afterAll(async () => {
    await api?.close();
  });

  it("accepts at most the plan's concurrent builds of 100 parallel uploads; the rest 429, nothing spooled", async () => {
    const owner = await signupOwner(api, 'flood');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'hobby' }).expect(200);
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'site' }).expect(201);
    const archive = await tarGz([
      { name: 'package.json', body: JSON.stringify({ name: 'site', version: '1.0.0', main: 'index.js' }) },
      { name: 'index.js', body: '' },
    ]);
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        api.http
          .post('/v1/apps/site/builds')
          .set(owner.auth)
          .set('Content-Type', 'application/gzip')
          .send(archive),
      ),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(2);
    expect(statuses.filter((s) => s === 429)).toHaveLength(98);
    for (const refused of answers.filter((a) => a.status === 429)) {
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({
        code: 'quota_exceeded',
        quota: 'concurrentBuilds',
        limit: 2,
        current: 2,
        requested: 1,
      });
      expect(refused.body.detail).toContain("'concurrentBuilds' is 2 builds");
    }
    const builds = await api.http.get('/v1/apps/site/builds').set(owner.auth).expect(200);
    expect(builds.body.map((b: BuildRow) => b.status)).toEqual(['queued', 'queued']);
    expect(await fs.readdir(path.join(api.config.dataDir, 'uploads')).catch(() => [])).toEqual([]);
  }, 120_000);
});

describe('a fair build queue between tenants', () => {
  let api: TestApi;
  let flooder: Session;
  let other: Session;

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({ runWorkers: true, buildConcurrency: 2 });
    const operator = await login(api, OPERATOR.email, OPERATOR.password);
    const planId = `flood-${Date.now().toString(36)}`;
    await api.http
      .post('/v1/admin/plans')
      .set(operator.auth)
      .send({
        id: planId,
        name: 'Flood',
        memoryMb: 128,
        cpuMillis: 250,
        maxApps: 2,
        maxReplicasPerApp: 1,
        maxTotalMemoryMb: 256,
        loadBalancerAllowed: false,
        maxUploadMb: 1,
        buildTimeoutSeconds: 120,
        concurrentBuilds: 20,
      })
      .expect(201);
    flooder = await signupOwner(api, 'flooder');
    await api.http.put('/v1/tenant/plan').set(flooder.auth).send({ planId }).expect(200);
    await api.http.post('/v1/apps').set(flooder.auth).send({ name: 'busy' }).expect(201);
    other = await signupOwner(api, 'other');
    await api.http.post('/v1/apps').set(other.auth).send({ name: 'quiet' }).expect(201);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  it("claims another tenant's build at the next free slot while one tenant has 20 queued", async () => {
    const holding = await holdingApp();
    const flood: string[] = [];
    for (let i = 0; i < 20; i += 1) flood.push(await uploadBuild(api, flooder, 'busy', holding));
    const single = await uploadBuild(api, other, 'quiet', await tinyApp());
    // Queued by now (the 202 comes after the upload is stored); its row was created before the upload.
    const queuedBy = new Date().toISOString();

    const started = await waitFor(
      "the other tenant's build to start",
      async () => {
        const res = await api.http.get(`/v1/apps/quiet/builds/${single}`).set(other.auth);
        return res.body.startedAt ? (res.body as BuildRow) : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    const busy: BuildRow[] = (await api.http.get('/v1/apps/busy/builds').set(flooder.auth).expect(200)).body;
    // Two worker slots, both the flooder's when the other tenant's build was queued (20 s installs); the
    // next free one went to the other tenant, before any more of the flood (oldest first across tenants
    // would make it 21st). On a slow machine the flood's first builds may end while it is still being
    // uploaded, so only what started after the other build was queued counts.
    const startedMeanwhile = busy.filter(
      (b) => b.startedAt !== null && b.startedAt > queuedBy && b.startedAt < started.startedAt!,
    );
    expect(startedMeanwhile).toEqual([]);

    // The rest of the flood is cancelled; the other tenant's build finishes.
    for (const id of flood) await api.http.post(`/v1/apps/busy/builds/${id}/cancel`).set(flooder.auth);
    expect((await waitForBuild(api, other, 'quiet', single)).status).toBe('succeeded');
    // Cancelled builds stop their build containers before the api closes (their volumes are removed).
    for (const id of flood) await waitForBuild(api, flooder, 'busy', id);
  }, 300_000);
});
