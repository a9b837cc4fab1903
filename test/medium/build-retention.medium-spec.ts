import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { App } from '../../libs/apps/index.js';
import {
  BLOB_STORE,
  BuildLogStore,
  BuildRetention,
  BuildsRepository,
  type BlobStore,
} from '../../libs/builds/index.js';
import type { Principal } from '../../libs/identity/index.js';
import { migratedDataSource } from '../support/database.js';
import {
  type FakeHosts,
  type ListeningFakeEngine,
  newHost,
  newTenant,
  resetRuntimeTables,
  type RuntimeProcess,
  startRuntimeProcess,
} from './support/runtime-process.js';

/**
 * Build retention through the real services on real PostgreSQL, with fake engines for the hosts: which
 * builds expire and which images go (the SQL that finds apps with work and the candidates of one app),
 * idempotence, a host that refuses a removal, and two processes running a pass at the same time.
 */
describe('build retention (medium)', () => {
  const engines: FakeHosts = new Map();
  let one: RuntimeProcess;
  let two: RuntimeProcess;
  let hostA: ListeningFakeEngine;
  let hostB: ListeningFakeEngine;
  let planId: string;

  beforeAll(async () => {
    const migrator = await migratedDataSource();
    // Hosts other files left would be hosts without a fake engine here (as every medium file, start clean).
    await resetRuntimeTables(migrator);
    await migrator.destroy();
    one = await startRuntimeProcess(engines);
    two = await startRuntimeProcess(engines);
    hostA = await newHost(one.dataSource, engines);
    hostB = await newHost(one.dataSource, engines);
    planId = `keep-${crypto.randomBytes(4).toString('hex')}`;
    await one.dataSource.query(
      `INSERT INTO plans (id, name, memory_mb, cpu_millis, max_apps, max_replicas_per_app, max_total_memory_mb,
                          load_balancer_allowed, max_upload_mb, build_timeout_seconds, concurrent_builds, build_retention)
       VALUES ($1, 'Keep two', 128, 250, 10, 2, 4096, false, 10, 60, 2, 2)`,
      [planId],
    );
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await Promise.all([hostA?.close(), hostB?.close()]);
  });

  const service = <T>(token: abstract new (...args: never[]) => T): T => one.module.get(token);

  /** A finished (or queued/running) build of `app`, with stored sources, log lines and an image on both hosts. */
  async function build(
    app: App,
    status: 'succeeded' | 'failed' | 'queued' | 'running',
  ): Promise<{ id: string; image: string | null; sourceKey: string }> {
    const builds = service(BuildsRepository);
    const blobs = one.module.get<symbol, BlobStore>(BLOB_STORE);
    const sourceKey = `sources/${app.tenantId}/${app.id}/${crypto.randomUUID()}.tar.gz`;
    await blobs.put(sourceKey, Readable.from([Buffer.from('sources')]));
    const row = await one.dataSource.transaction((manager) =>
      builds.insertQueued(manager, {
        appId: app.id,
        tenantId: app.tenantId,
        sourceKey,
        sourceSha256: 'x'.repeat(64),
        sourceBytes: '7',
        manifest: {},
        timeoutSeconds: 60,
        memoryMb: 128,
        cpuMillis: 250,
      }),
    );
    await service(BuildLogStore).append(row.id, ['[berth] build queued', 'step 1']);
    const image = status === 'succeeded' ? `berth-app-${app.id}:b-${row.id.slice(0, 8)}` : null;
    if (image) {
      hostA.addImage({ ref: image });
      hostB.addImage({ ref: image });
    }
    await one.dataSource.query(`UPDATE builds SET status = $2, image = $3 WHERE id = $1`, [
      row.id,
      status,
      image,
    ]);
    if (image) {
      await one.dataSource.transaction(async (manager) => {
        const release = await one.releases.createFromBuild(
          manager,
          app,
          { id: row.id, image },
          'test:medium',
        );
        await builds.linkRelease(manager, row.id, release.id);
      });
    }
    return { id: row.id, image, sourceKey };
  }

  async function newApp(tenant: Principal, name: string): Promise<App> {
    await one.apps.create(tenant, { name });
    return one.apps.get(tenant, name);
  }

  const rowOf = (id: string) => service(BuildsRepository).byId(id);
  const present = async (image: string) =>
    (await hostA.inspectImage({ ref: image })) !== undefined ||
    (await hostB.inspectImage({ ref: image })) !== undefined;

  it('expires the finished builds beyond the plan retention and deletes images no kept release runs', async () => {
    const tenant = await newTenant(one.dataSource, planId);
    const app = await newApp(tenant, 'web');
    const b1 = await build(app, 'succeeded'); // v1
    const b2 = await build(app, 'failed');
    const b3 = await build(app, 'succeeded'); // v2
    const b4 = await build(app, 'succeeded'); // v3
    const b5 = await build(app, 'succeeded'); // v4
    const queued = await build(app, 'queued');
    const running = await build(app, 'running');
    // A second app of the tenant within its retention: nothing to do there.
    const small = await newApp(tenant, 'small');
    const s1 = await build(small, 'succeeded');

    const due = await service(BuildsRepository).appsDueForRetention(1000);
    expect(due.filter((d) => [app.id, small.id].includes(d.appId))).toEqual([{ appId: app.id, keep: 2 }]);

    // Two processes run a pass at once (as if the loop's lock were not there): the outcome is the same.
    const reports = await Promise.all([
      one.module.get(BuildRetention).runPass(),
      two.module.get(BuildRetention).runPass(),
    ]);
    expect(reports.map((r) => r.failedImages)).toEqual([0, 0]);

    const blobs = one.module.get<symbol, BlobStore>(BLOB_STORE);
    const logs = service(BuildLogStore);
    // Kept whole: the newest two finished (b5, b4), and the queued and running builds (they do not count).
    for (const kept of [b5, b4, queued, running, s1]) {
      expect(await blobs.exists(kept.sourceKey)).toBe(true);
      expect((await logs.read(kept.id)).length).toBe(2);
      expect((await rowOf(kept.id)).expiredAt).toBeNull();
    }
    // Expired: b3, b2, b1 lose sources and log lines. b1's and b3's images go (v1, v2 are not kept: the
    // newest two releases are v4 and v3), from both hosts; b2 had none.
    for (const expired of [b1, b2, b3]) {
      expect(await blobs.exists(expired.sourceKey)).toBe(false);
      expect(await logs.read(expired.id)).toEqual([]);
      expect((await rowOf(expired.id)).expiredAt).not.toBeNull();
    }
    expect(await present(b1.image!)).toBe(false);
    expect(await present(b3.image!)).toBe(false);
    expect((await rowOf(b1.id)).imageRemovedAt).not.toBeNull();
    expect((await rowOf(b2.id)).imageRemovedAt).toBeNull();
    expect(await present(b4.image!)).toBe(true);
    expect(await present(b5.image!)).toBe(true);
    const releases = await one.releases.list(app);
    expect(releases.map((r) => [r.version, r.imageRemovedAt !== null])).toEqual([
      [4, false],
      [3, false],
      [2, true],
      [1, true],
    ]);
    await expect(one.releases.rollback(tenant, app, 1)).rejects.toMatchObject({
      status: 410,
      code: 'release_expired',
    });

    // Idempotent: nothing is left to do for this app.
    expect((await service(BuildsRepository).appsDueForRetention(1000)).map((d) => d.appId)).not.toContain(
      app.id,
    );
  });

  it('keeps an old image the current release runs, and deletes it once a later release replaced it', async () => {
    const tenant = await newTenant(one.dataSource, planId);
    const app = await newApp(tenant, 'rolled');
    const b1 = await build(app, 'succeeded'); // v1
    await build(app, 'succeeded'); // v2
    await build(app, 'succeeded'); // v3
    // v4 runs b1's image again (a rollback): the current release, so the image stays.
    await one.releases.rollback(tenant, app, 1);
    const retention = one.module.get(BuildRetention);
    await retention.runPass();
    expect((await rowOf(b1.id)).expiredAt).not.toBeNull();
    expect((await rowOf(b1.id)).imageRemovedAt).toBeNull();
    expect(await present(b1.image!)).toBe(true);

    // Two newer builds: v5 and v6 are the kept releases, neither runs b1's image any more.
    await build(app, 'succeeded');
    await build(app, 'succeeded');
    await retention.runPass();
    expect(await present(b1.image!)).toBe(false);
    expect((await rowOf(b1.id)).imageRemovedAt).not.toBeNull();
  });

  it('tries an image again when a host refused to remove it', async () => {
    const tenant = await newTenant(one.dataSource, planId);
    const app = await newApp(tenant, 'stubborn');
    const b1 = await build(app, 'succeeded');
    await build(app, 'succeeded');
    await build(app, 'succeeded');
    hostB.failNext('removeImage');
    const retention = one.module.get(BuildRetention);
    const first = await retention.runPass();
    expect(first.failedImages).toBeGreaterThanOrEqual(1);
    expect((await rowOf(b1.id)).expiredAt).not.toBeNull();
    expect((await rowOf(b1.id)).imageRemovedAt).toBeNull();
    expect((await service(BuildsRepository).appsDueForRetention(1000)).map((d) => d.appId)).toContain(app.id);

    await retention.runPass();
    expect(await present(b1.image!)).toBe(false);
    expect((await rowOf(b1.id)).imageRemovedAt).not.toBeNull();
  });
});
