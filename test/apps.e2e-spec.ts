import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { DockerEngine } from '../libs/engine/index.js';
import { migratedDataSource } from './support/database.js';
import { signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { expressApp, tarGz } from './support/archives.js';
import { cleanupTestRun, ensureRuntimeImage, waitFor } from './support/docker.js';
import { httpGet, waitConverged, waitForBuild } from './support/lifecycle.js';

/** Env vars, idempotent uploads, multipart, cancel, adoption after a restart, and deletion. */
describe('apps: env, uploads, adoption and deletion', () => {
  let api: TestApi;
  let owner: Session;

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    owner = await signupOwner(api, 'apps');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'hobby' }).expect(200);
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'web', replicas: 2 }).expect(201);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  it('replays an upload sent twice with one Idempotency-Key, and refuses the key with another body', async () => {
    const archive = await expressApp('web v1');
    const send = (body: Buffer) =>
      api.http
        .post('/v1/apps/web/builds')
        .set(owner.auth)
        .set('Idempotency-Key', 'deploy-42')
        .set('Content-Type', 'application/gzip')
        .send(body);
    const first = await send(archive);
    expect(first.status).toBe(202);
    const again = await send(archive);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const other = await send(await expressApp('something else'));
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
    const builds = await api.http.get('/v1/apps/web/builds').set(owner.auth).expect(200);
    expect(builds.body).toHaveLength(1);
    expect((await waitForBuild(api, owner, 'web', first.body.id)).status).toBe('succeeded');
    await waitConverged(api, owner, 'web');
  }, 300_000);

  it('keeps env vars encrypted at rest, masked on read, and delivers them through a new release', async () => {
    const secret = 'greetings-from-a-sealed-env-value';
    const res = await api.http
      .put('/v1/apps/web/env')
      .set(owner.auth)
      .send({ vars: { GREETING: secret } })
      .expect(202);
    expect(JSON.stringify(res.body)).not.toContain(secret);
    const masked = await api.http.get('/v1/apps/web/env').set(owner.auth).expect(200);
    expect(masked.body.vars.GREETING).toMatch(/^\*+alue$/);
    const db = await migratedDataSource();
    const rows = await db.query(
      `SELECT env_sealed FROM apps WHERE name = 'web' UNION ALL SELECT env_sealed FROM releases`,
    );
    const audit = await db.query(`SELECT data::text AS data FROM audit_events WHERE action = 'app.env'`);
    await db.destroy();
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(JSON.stringify(audit)).not.toContain(secret);
    expect(api.logs()).not.toContain(secret);
    const state = await waitConverged(api, owner, 'web');
    expect(state.release?.version).toBe(2);
    for (const endpoint of state.endpoints) expect((await httpGet(`${endpoint}/greeting`)).text).toBe(secret);
    const reserved = await api.http
      .put('/v1/apps/web/env')
      .set(owner.auth)
      .send({ vars: { PORT: '1' } });
    expect(reserved.status).toBe(400);
  }, 180_000);

  it("lists every app with its own release and endpoints, as each app's own GET shows them", async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'listed', replicas: 0 }).expect(201);
    try {
      await waitConverged(api, owner, 'web');
      const list = (await api.http.get('/v1/apps').set(owner.auth).expect(200)).body as {
        name: string;
        endpoints: string[];
      }[];
      expect(list.map((app) => app.name)).toEqual(expect.arrayContaining(['web', 'listed']));
      for (const listed of list) {
        const own = (await api.http.get(`/v1/apps/${listed.name}`).set(owner.auth).expect(200)).body;
        expect(listed).toEqual(own);
      }
      const web = list.find((app) => app.name === 'web')!;
      expect(web.endpoints).toHaveLength(2);
      expect(list.find((app) => app.name === 'listed')).toMatchObject({ endpoints: [], release: null });
    } finally {
      await api.http.delete('/v1/apps/listed').set(owner.auth).expect(202);
    }
  });

  it('accepts a multipart upload and cancels a running build', async () => {
    const slow = await tarGz([
      {
        name: 'package.json',
        body: JSON.stringify({
          name: 's',
          main: 'i.js',
          scripts: { install: 'node -e "setTimeout(() => {}, 120000)"' },
        }),
      },
      { name: 'i.js', body: '' },
    ]);
    const res = await api.http.post('/v1/apps/web/builds').set(owner.auth).attach('source', slow, 'app.tgz');
    expect(res.status).toBe(202);
    await waitFor(
      'build running',
      async () =>
        (await api.http.get(`/v1/apps/web/builds/${res.body.id}`).set(owner.auth)).body.status === 'running',
      {
        timeoutMs: 60_000,
      },
    );
    await api.http.post(`/v1/apps/web/builds/${res.body.id}/cancel`).set(owner.auth).expect(202);
    const done = await waitForBuild(api, owner, 'web', res.body.id, 60_000);
    expect(done.status).toBe('cancelled');
    const again = await api.http.post(`/v1/apps/web/builds/${res.body.id}/cancel`).set(owner.auth);
    expect(again.status).toBe(409);
  }, 180_000);

  it('adopts its containers after a restart: nothing orphaned, nothing duplicated', async () => {
    const before = (await api.http.get('/v1/apps/web/containers').set(owner.auth).expect(200)).body
      .map((c: { id: string; containerId: string }) => c.containerId)
      .sort();
    expect(before).toHaveLength(2);
    await api.close();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const state = await waitConverged(api, owner, 'web');
    const after = (await api.http.get('/v1/apps/web/containers').set(owner.auth).expect(200)).body
      .map((c: { containerId: string }) => c.containerId)
      .sort();
    expect(after).toEqual(before);
    const engine = new DockerEngine({ endpoint: 'unix:///var/run/docker.sock' });
    const app = (await api.http.get('/v1/apps/web').set(owner.auth)).body;
    expect(await engine.listContainers({ labels: { 'berth.app': app.id }, all: true })).toHaveLength(2);
    expect(state.endpoints).toHaveLength(2);
  }, 180_000);

  it('deletes an app with its containers, images and sources', async () => {
    const app = (await api.http.get('/v1/apps/web').set(owner.auth).expect(200)).body;
    const engine = new DockerEngine({ endpoint: 'unix:///var/run/docker.sock' });
    await api.http.delete('/v1/apps/web').set(owner.auth).expect(202);
    await api.http.get('/v1/apps/web').set(owner.auth).expect(404);
    await waitFor(
      'app removed',
      async () => {
        const db = await migratedDataSource();
        const [row] = await db.query('SELECT count(*)::int AS n FROM apps WHERE id = $1', [app.id]);
        await db.destroy();
        return row.n === 0;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(await engine.listContainers({ labels: { 'berth.app': app.id }, all: true })).toEqual([]);
    expect(await engine.listImages({ labels: { 'berth.app': app.id } })).toEqual([]);
    const sources = path.join(api.config.dataDir, 'blobs', 'sources', owner.tenantId, app.id);
    expect(fs.existsSync(sources) ? fs.readdirSync(sources) : []).toEqual([]);
  }, 120_000);
});
