import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BLOB_STORE, BuildLogStore, BuildsRepository, type BlobStore } from '../../libs/builds/index.js';
import { RegistryClient } from '../../libs/engine/index.js';
import { OPERATOR, login, signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { tarGz } from '../support/archives.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, uniqueId, waitFor } from '../support/docker.js';
import { httpGet, uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { startTestRegistry, type TestRegistry } from '../support/registry.js';

/** A dependency-free app answering `body`: it builds in seconds (the dependency image is reused). */
const tinyApp = (body: string) =>
  tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'kept', version: '1.0.0', main: 'index.js' }) },
    {
      name: 'index.js',
      body: `require('http').createServer((q, s) => s.end(${JSON.stringify(body)})).listen(process.env.PORT);`,
    },
  ]);

interface BuildRow {
  id: string;
  status: string;
  image: string | null;
  expiredAt: string | null;
  imageRemovedAt: string | null;
}

/**
 * Build retention on real Docker and PostgreSQL, with a registry (scripts/registry.sh, deletes enabled):
 * a plan of the test's own keeps 2 builds per app. Four
 * builds are deployed (with a rollback to v1 between the third and the fourth, so an old build's image
 * is still referenced by a kept release); then the plan's retention drops to 2 and the loop (short
 * interval) expires the two oldest builds: their sources and log lines go, the image of build 2 goes from
 * Docker and from the registry, the image of build 1 stays (release v4 runs it and is among the newest two), the newest two
 * builds stay whole, an expired build's log is 410 build_expired, rollback to a kept release still serves,
 * and rollback to a release whose image went is 410 release_expired.
 */
describe('build retention', () => {
  const planId = uniqueId('keep')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 40);
  const engine = testEngine();
  let registry: TestRegistry | undefined;
  let api: TestApi;
  let operator: Session;
  let owner: Session;

  beforeAll(async () => {
    await ensureRuntimeImage();
    registry = await startTestRegistry();
    api = await startTestApi({
      runWorkers: true,
      reconcileIntervalMs: 500,
      buildRetentionIntervalMs: 300,
      registry: registry.settings,
    });
    operator = await login(api, OPERATOR.email, OPERATOR.password);
    await api.http
      .post('/v1/admin/plans')
      .set(operator.auth)
      .send({
        id: planId,
        name: 'Retention test',
        memoryMb: 128,
        cpuMillis: 250,
        maxApps: 2,
        maxReplicasPerApp: 1,
        maxTotalMemoryMb: 512,
        loadBalancerAllowed: false,
        maxUploadMb: 1,
        buildTimeoutSeconds: 120,
        concurrentBuilds: 1,
        // Nothing expires while the builds are made: the test lowers it to 2 once they are.
        buildRetention: 50,
      })
      .expect(201);
    owner = await signupOwner(api, 'retention');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId }).expect(200);
  }, 120_000);

  afterAll(async () => {
    try {
      await api?.close();
      await cleanupTestRun();
    } finally {
      await registry?.purge();
    }
  }, 120_000);

  const deploy = async (body: string): Promise<string> => {
    const id = await uploadBuild(api, owner, 'kept', await tinyApp(body));
    expect((await waitForBuild(api, owner, 'kept', id, 120_000)).status).toBe('succeeded');
    return id;
  };
  const serves = async (body: string) =>
    waitFor(
      `the app to serve ${body}`,
      async () => {
        const state = await waitConverged(api, owner, 'kept');
        return state.endpoints[0] !== undefined && (await httpGet(state.endpoints[0])).text === body;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
  const build = async (id: string): Promise<BuildRow> =>
    (await api.http.get(`/v1/apps/kept/builds/${id}`).set(owner.auth).expect(200)).body as BuildRow;

  it('expires builds beyond the plan retention and keeps images kept releases run', async () => {
    const plans = await api.http.get('/v1/plans').expect(200);
    expect(plans.body.find((p: { id: string }) => p.id === planId)).toMatchObject({ buildRetention: 50 });
    await api.http
      .patch(`/v1/admin/plans/${planId}`)
      .set(operator.auth)
      .send({ buildRetention: 0 })
      .expect(400);

    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'kept' }).expect(201);
    const b1 = await deploy('one');
    const b2 = await deploy('two');
    const b3 = await deploy('three');
    await serves('three');
    // v4 runs build 1's image again.
    await api.http.post('/v1/apps/kept/releases/1/rollback').set(owner.auth).expect(202);
    await serves('one');
    const b4 = await deploy('four');
    await serves('four');

    const builds = await Promise.all([b1, b2, b3, b4].map(build));
    const images = builds.map((b) => b.image!);
    const imageIds = await Promise.all(images.map(async (ref) => (await engine.inspectImage({ ref }))!.id));
    const repository = api.app.get(BuildsRepository);
    const blobs = api.app.get<symbol, BlobStore>(BLOB_STORE);
    const logs = api.app.get(BuildLogStore);
    const sourceKeys = await Promise.all(
      [b1, b2, b3, b4].map(async (id) => (await repository.byId(id)).sourceKey),
    );
    for (const key of sourceKeys) expect(await blobs.exists(key)).toBe(true);
    for (const id of [b1, b2, b3, b4]) expect((await logs.read(id)).length).toBeGreaterThan(0);
    expect(builds.every((b) => b.expiredAt === null)).toBe(true);
    const registryClient = new RegistryClient(registry!.settings, registry!.authorize);
    for (const ref of images) expect(await registryClient.hasImage(ref)).toBe(true);

    await api.http
      .patch(`/v1/admin/plans/${planId}`)
      .set(operator.auth)
      .send({ buildRetention: 2 })
      .expect(200);
    const started = Date.now();
    await waitFor(
      'builds 1 and 2 to expire and build 2 to lose its image',
      async () => {
        const [one, two] = await Promise.all([build(b1), build(b2)]);
        return one.expiredAt !== null && two.expiredAt !== null && two.imageRemovedAt !== null;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    process.stdout.write(`[retention] expired within ${Date.now() - started} ms of the plan change\n`);

    // Expired: sources and log lines gone; the rows stay, marked.
    expect(await blobs.exists(sourceKeys[0]!)).toBe(false);
    expect(await blobs.exists(sourceKeys[1]!)).toBe(false);
    expect(await logs.read(b1)).toEqual([]);
    expect(await logs.read(b2)).toEqual([]);
    const expiredLog = await api.http.get(`/v1/apps/kept/builds/${b2}/log`).set(owner.auth).expect(410);
    expect(expiredLog.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(expiredLog.body).toMatchObject({ status: 410, code: 'build_expired' });
    const listed = (await api.http.get('/v1/apps/kept/builds').set(owner.auth).expect(200))
      .body as BuildRow[];
    expect(listed.map((b) => [b.id, b.expiredAt !== null])).toEqual([
      [b4, false],
      [b3, false],
      [b2, true],
      [b1, true],
    ]);

    // Build 2's image is gone from Docker, by tag and by id; build 1's stays (release v4, kept, runs it).
    expect(await engine.inspectImage({ ref: images[1]! })).toBeUndefined();
    expect(await engine.inspectImage({ ref: imageIds[1]! })).toBeUndefined();
    expect((await build(b1)).imageRemovedAt).toBeNull();
    expect((await engine.inspectImage({ ref: images[0]! }))?.id).toBe(imageIds[0]);
    // In the registry likewise: build 2's manifest was deleted, the kept ones answer.
    expect(await registryClient.hasImage(images[1]!)).toBe(false);
    for (const index of [0, 2, 3]) expect(await registryClient.hasImage(images[index]!)).toBe(true);
    // The newest two builds are whole.
    for (const index of [2, 3]) {
      expect(await blobs.exists(sourceKeys[index]!)).toBe(true);
      expect((await engine.inspectImage({ ref: images[index]! }))?.id).toBe(imageIds[index]);
    }
    for (const id of [b3, b4]) expect((await logs.read(id)).length).toBeGreaterThan(0);
    await api.http.get(`/v1/apps/kept/builds/${b4}/log`).set(owner.auth).expect(200);

    // Releases v2 (build 2's image) is expired; rollback to it is refused, to kept v4 (build 1) works.
    const releases = (await api.http.get('/v1/apps/kept/releases').set(owner.auth).expect(200)).body as {
      version: number;
      imageRemovedAt: string | null;
    }[];
    expect(releases.map((r) => [r.version, r.imageRemovedAt !== null])).toEqual([
      [5, false],
      [4, false],
      [3, false],
      [2, true],
      [1, false],
    ]);
    const refused = await api.http.post('/v1/apps/kept/releases/2/rollback').set(owner.auth).expect(410);
    expect(refused.body).toMatchObject({ code: 'release_expired' });
    await api.http.post('/v1/apps/kept/releases/4/rollback').set(owner.auth).expect(202);
    await serves('one');
  }, 300_000);
});
