import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { QuotaService, type App } from '../../libs/apps/index.js';
import { BuildsService } from '../../libs/builds/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../../libs/config/index.js';
import type { Principal } from '../../libs/identity/index.js';
import { PlansService } from '../../libs/plans/index.js';
import { tarGz } from '../support/archives.js';
import { migratedDataSource } from '../support/database.js';
import {
  newTenant,
  resetRuntimeTables,
  type RuntimeProcess,
  startRuntimeProcess,
} from './support/runtime-process.js';

/** A settled promise's problem+json fields (or the value it resolved with). */
async function outcome<T>(work: Promise<T>): Promise<Record<string, unknown>> {
  try {
    return { resolved: await work };
  } catch (err) {
    const problem = err as { status?: number; code?: string; extensions?: Record<string, unknown> };
    return { status: problem.status, code: problem.code, ...problem.extensions };
  }
}

/**
 * Memory and build-slot quotas through the real services on real PostgreSQL: what is counted is what each
 * release really runs, wanted replicas included, and every path that changes it is judged under the
 * tenant lock.
 */
describe('quotas (medium)', () => {
  let db: DataSource;
  let berth: RuntimeProcess;
  let tenant: Principal;

  beforeAll(async () => {
    db = await migratedDataSource();
  });
  afterAll(async () => {
    await db.destroy();
  });
  beforeEach(async () => {
    await resetRuntimeTables(db);
    berth = await startRuntimeProcess(new Map());
  });
  afterEach(async () => {
    await berth.close();
  });

  const releaseFromBuild = (app: App) =>
    berth.dataSource.transaction((manager) =>
      berth.releases.createFromBuild(manager, app, { id: crypto.randomUUID(), image: 'img:1' }, 'test'),
    );

  it('counts replicas wanted before a first build: the second hobby app of 5 replicas is refused', async () => {
    tenant = await newTenant(db, 'hobby');
    await berth.apps.create(tenant, { name: 'first', replicas: 5 });
    expect(await outcome(berth.apps.create(tenant, { name: 'second', replicas: 5 }))).toEqual({
      status: 403,
      code: 'quota_exceeded',
      quota: 'maxTotalMemoryMb',
      limit: 2048,
      current: 1280,
      requested: 1280,
      unit: 'MB',
    });
    await berth.apps.create(tenant, { name: 'second', replicas: 3 });
    expect(await outcome(berth.apps.scale(tenant, 'second', 4))).toMatchObject({
      code: 'quota_exceeded',
      quota: 'maxTotalMemoryMb',
      current: 2048,
      requested: 256,
    });
    // The builds' releases run at the size that was counted: both fit, exactly at the cap.
    await releaseFromBuild(await berth.apps.get(tenant, 'first'));
    await releaseFromBuild(await berth.apps.get(tenant, 'second'));
    const quota = await berth.module.get(QuotaService).quotaOf(tenant.tenantId!);
    expect(quota.usage).toMatchObject({ containers: 8, totalMemoryMb: 2048 });
  });

  it('re-sizes releases on a plan switch and refuses a rollback to a bigger release that does not fit', async () => {
    tenant = await newTenant(db, 'pro');
    await berth.apps.create(tenant, { name: 'big', replicas: 5 });
    const v1 = await releaseFromBuild(await berth.apps.get(tenant, 'big'));
    expect(v1.memoryMb).toBe(512);

    await berth.module.get(PlansService).switchPlan(tenant, 'hobby');
    const big = await berth.apps.get(tenant, 'big');
    const v2 = await berth.releases.byId(big.currentReleaseId);
    expect(v2).toMatchObject({ version: 2, memoryMb: 256, cpuMillis: 500, replicas: 5 });

    // v1 ran 5 x 512 MB on pro: 2,560 MB is past hobby's 2,048 MB.
    expect(await outcome(berth.releases.rollback(tenant, big, 1))).toMatchObject({
      status: 403,
      code: 'quota_exceeded',
      quota: 'maxTotalMemoryMb',
      limit: 2048,
      current: 1280,
      requested: 1280,
    });
    // Nothing changed: the app still runs v2, and a rollback to v2's own size is allowed.
    expect((await berth.apps.get(tenant, 'big')).currentReleaseId).toBe(v2!.id);
    const rolled = await berth.releases.rollback(tenant, big, 2);
    expect(rolled).toMatchObject({ version: 3, memoryMb: 256, replicas: 5 });
  });

  it("refuses a build's release whose size would take the tenant past its cap", async () => {
    const planId = `grown-${crypto.randomBytes(3).toString('hex')}`;
    await db.query(
      `INSERT INTO plans (id, name, memory_mb, cpu_millis, max_apps, max_replicas_per_app, max_total_memory_mb,
                          load_balancer_allowed, max_upload_mb, build_timeout_seconds, concurrent_builds)
       VALUES ($1, 'Grown', 256, 500, 2, 8, 2048, false, 10, 60, 1)`,
      [planId],
    );
    tenant = await newTenant(db, planId);
    await berth.apps.create(tenant, { name: 'full', replicas: 8 });
    const v1 = await releaseFromBuild(await berth.apps.get(tenant, 'full'));
    // An operator doubles the plan's container size: the next build's release would want 8 x 512 MB.
    await db.query(`UPDATE plans SET memory_mb = 512 WHERE id = $1`, [planId]);
    expect(await outcome(releaseFromBuild(await berth.apps.get(tenant, 'full')))).toMatchObject({
      status: 403,
      code: 'quota_exceeded',
      quota: 'maxTotalMemoryMb',
      limit: 2048,
      current: 2048,
      requested: 2048,
    });
    expect((await berth.apps.get(tenant, 'full')).currentReleaseId).toBe(v1.id);
  });

  it('refuses a plan switch that the re-sized releases do not fit, naming the limits', async () => {
    tenant = await newTenant(db, 'pro');
    await berth.apps.create(tenant, { name: 'wide', replicas: 5 });
    await berth.apps.create(tenant, { name: 'wider', replicas: 5 });
    // Ten wanted replicas: 10 x 128 MB is past free's 512 MB (and 5 replicas past its 2 per app).
    expect(await outcome(berth.module.get(PlansService).switchPlan(tenant, 'free'))).toMatchObject({
      status: 409,
      code: 'plan_does_not_fit',
      violations: expect.arrayContaining([
        { quota: 'maxTotalMemoryMb', limit: 512, current: 1280 },
        { quota: 'maxReplicasPerApp', limit: 2, current: 5 },
      ]),
    });
  });

  it('reserves build slots under the tenant lock before reading uploads: 20 at once, 2 accepted', async () => {
    tenant = await newTenant(db, 'hobby');
    await berth.apps.create(tenant, { name: 'site', replicas: 1 });
    const archive = await tarGz([
      { name: 'package.json', body: JSON.stringify({ name: 'site', version: '1.0.0', main: 'index.js' }) },
      { name: 'index.js', body: '' },
    ]);
    const builds = berth.module.get(BuildsService);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        outcome(builds.upload(tenant, 'site', { body: Readable.from([archive]) })),
      ),
    );
    const accepted = results.filter((r) => r.resolved !== undefined);
    const refused = results.filter((r) => r.resolved === undefined);
    expect(accepted).toHaveLength(2);
    for (const r of refused) {
      expect(r).toEqual({
        status: 429,
        code: 'quota_exceeded',
        quota: 'concurrentBuilds',
        limit: 2,
        current: 2,
        requested: 1,
        unit: 'builds',
      });
    }
    const rows: { status: string }[] = await db.query(`SELECT status FROM builds WHERE tenant_id = $1`, [
      tenant.tenantId,
    ]);
    expect(rows.map((r) => r.status)).toEqual(['queued', 'queued']);
    const config = berth.module.get<BerthConfig>(BERTH_CONFIG);
    expect(await fs.readdir(path.join(config.dataDir, 'uploads')).catch(() => [])).toEqual([]);
  });

  it('frees the slot of a refused upload', async () => {
    tenant = await newTenant(db, 'free');
    await berth.apps.create(tenant, { name: 'site', replicas: 1 });
    const builds = berth.module.get(BuildsService);
    const bad = await tarGz([{ name: 'index.js', body: '' }]);
    expect(await outcome(builds.upload(tenant, 'site', { body: Readable.from([bad]) }))).toMatchObject({
      code: 'no_package_json',
    });
    const [row]: { n: number }[] = await db.query(`SELECT count(*)::int AS n FROM builds`);
    expect(row!.n).toBe(0);
  });
});
