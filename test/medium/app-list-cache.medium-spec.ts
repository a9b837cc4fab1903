import crypto from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Global, Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import {
  AppDomainsRepository,
  AppUrls,
  INGRESS_SETTINGS,
  ingressSettingsFrom,
} from '../../libs/ingress/index.js';
import { APP_URLS_READER, AppListCache, AppOverviewService } from '../../libs/runtime/index.js';
import { migratedDataSource } from '../support/database.js';
import {
  deployedApp,
  type FakeHosts,
  newHost,
  newTenant,
  reconcileUntil,
  resetRuntimeTables,
  type RuntimeProcess,
  startRuntimeProcess,
} from './support/runtime-process.js';

/** The edge router's URL reader alone (default hostnames and verified domains), without its loops. */
@Global()
@Module({
  providers: [
    {
      provide: INGRESS_SETTINGS,
      useValue: ingressSettingsFrom({ BERTH_INGRESS_HTTP_PORT: '8080', BERTH_INGRESS_HTTPS_PORT: '8443' }),
    },
    AppDomainsRepository,
    AppUrls,
    { provide: APP_URLS_READER, useExisting: AppUrls },
  ],
  exports: [APP_URLS_READER],
})
class AppUrlsOnlyModule {}

/**
 * The cached GET /v1/apps list (AppListCache) against a fresh read (AppOverviewService.listOfTenant) after
 * each kind of change the list shows, made by SQL as a script would or through the services: the
 * triggers of migration AppListChanges must drop it. The cache's own time limit is 10 minutes here, so
 * only the notifications can make it follow. Each step first checks that the change shows in a fresh read
 * (else the step would prove nothing).
 */
describe('app list cache (medium)', () => {
  let db: DataSource;

  beforeAll(async () => {
    db = await migratedDataSource();
    await resetRuntimeTables(db);
  });
  afterAll(async () => {
    await db.destroy();
  });

  it('equals a fresh read after every kind of change the list shows, and ignores changes it does not show', async () => {
    const engines: FakeHosts = new Map();
    const host = await newHost(db, engines);
    const owner = await newTenant(db);
    const rival = await newTenant(db);
    const runtime: RuntimeProcess = await startRuntimeProcess(engines, { appListCacheMs: 600_000 }, [
      AppUrlsOnlyModule,
    ]);
    const cache = runtime.module.get(AppListCache);
    const overviews = runtime.module.get(AppOverviewService);
    const cached = () => runtime.facade.list(owner);
    const fresh = () => overviews.listOfTenant(owner.tenantId!);

    /** Warms the cache, makes the change, and waits (at most 5 s) until the cache shows it. */
    async function follows(change: string, make: () => Promise<unknown>): Promise<void> {
      const before = await fresh();
      expect(await cached()).toEqual(before);
      const dropsBefore = cache.counts().drops;
      await make();
      const after = await fresh();
      expect({ change, shows: !isDeepStrictEqual(after, before) }).toEqual({ change, shows: true });
      const deadline = performance.now() + 5_000;
      while (!isDeepStrictEqual(await cached(), after) && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect({ change, cached: await cached() }).toEqual({ change, cached: after });
      expect(cache.counts().drops).toBeGreaterThan(dropsBefore);
    }

    try {
      const app = await deployedApp(runtime, owner, { name: 'cached-web', replicas: 2, engines: [host] });
      await reconcileUntil(
        runtime,
        async () => (await runtime.apps.get(owner, 'cached-web')).phase === 'running',
      );
      const replicaIds = async (): Promise<string[]> =>
        (
          (await db.query(
            `SELECT id FROM replicas WHERE app_id = $1 AND state = 'running' ORDER BY created_at`,
            [app.id],
          )) as { id: string }[]
        ).map((row) => row.id);

      await follows('app row by SQL', () =>
        db.query(`UPDATE apps SET status_reason = 'by hand' WHERE id = $1`, [app.id]),
      );
      await follows('app scaled through the service', () => runtime.apps.scale(owner, 'cached-web', 3));
      await follows('replicas started by the reconciler', () =>
        reconcileUntil(runtime, async () => (await replicaIds()).length === 3),
      );
      await follows('app created', () => runtime.apps.create(owner, { name: 'cached-second', replicas: 1 }));
      await follows('app deleted by SQL', () => db.query(`DELETE FROM apps WHERE name = 'cached-second'`));
      await follows('current release edited by SQL', () =>
        db.query(`UPDATE releases SET description = 'edited' WHERE id = $1`, [app.currentReleaseId]),
      );
      await follows('new release', async () => {
        const image = `berth-app-medium:${crypto.randomBytes(4).toString('hex')}`;
        host.addImage({ ref: image });
        const current = await runtime.apps.get(owner, 'cached-web');
        await runtime.dataSource.transaction((manager) =>
          runtime.releases.createFromBuild(
            manager,
            current,
            { id: crypto.randomUUID(), image },
            'test:medium',
          ),
        );
      });
      const [first, second] = await replicaIds();
      await follows("running replica's port", () =>
        db.query(`UPDATE replicas SET host_port = host_port + 1000 WHERE id = $1`, [first]),
      );
      await follows('replica no longer running', () =>
        db.query(`UPDATE replicas SET state = 'crashed' WHERE id = $1`, [second]),
      );
      await follows("host's public address", () =>
        db.query(`UPDATE hosts SET public_address = '127.0.0.2' WHERE public_address = '127.0.0.1'`),
      );
      await follows('tenant renamed (default hostnames)', () =>
        db.query(`UPDATE tenants SET name = $2 WHERE id = $1`, [
          owner.tenantId,
          `renamed-${crypto.randomBytes(3).toString('hex')}`,
        ]),
      );
      const hostname = `cached-${crypto.randomBytes(4).toString('hex')}.example.test`;
      await follows('custom domain verified', () =>
        db.query(
          `INSERT INTO app_domains (tenant_id, app_id, hostname, verification_token, verified_at) VALUES ($1, $2, $3, 'token', now())`,
          [owner.tenantId, app.id, hostname],
        ),
      );
      await follows('certificate added to the domain', () =>
        db.query(`UPDATE app_domains SET certificate_pem = 'pem' WHERE hostname = $1`, [hostname]),
      );
      await follows('custom domain removed', () =>
        db.query(`DELETE FROM app_domains WHERE hostname = $1`, [hostname]),
      );
      await follows('custom domain verified again', () =>
        db.query(
          `INSERT INTO app_domains (tenant_id, app_id, hostname, verification_token, verified_at) VALUES ($1, $2, $3, 'token', now())`,
          [owner.tenantId, app.id, hostname],
        ),
      );
      await follows('domains emptied by TRUNCATE (a statement-level trigger)', () =>
        db.query(`TRUNCATE app_domains`),
      );

      // Changes the list does not show send nothing: notifications arrive in commit order, so once the
      // shown change that follows is heard, the ones before it would have been too.
      await cached();
      const dropsBefore = cache.counts().drops;
      const changesBefore = cache.counts().changes;
      await db.query(`UPDATE replicas SET restarts = restarts + 1, last_error = 'noise' WHERE app_id = $1`, [
        app.id,
      ]);
      await db.query(`UPDATE hosts SET last_heartbeat_at = now()`);
      await db.query(`UPDATE apps SET status_reason = status_reason WHERE id = $1`, [app.id]);
      await runtime.apps.create(rival, { name: 'rival-app', replicas: 1 });
      await follows('a shown change after them', () =>
        db.query(`UPDATE apps SET status_reason = 'again' WHERE id = $1`, [app.id]),
      );
      // The rival's app is one change heard (its tenant's), which dropped nothing of the owner's.
      expect(cache.counts().changes - changesBefore).toBe(2);
      expect(cache.counts().drops - dropsBefore).toBe(1);
    } finally {
      await runtime.close();
      await host.close();
    }
  });
});
