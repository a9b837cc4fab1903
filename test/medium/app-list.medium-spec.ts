import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { migratedDataSource } from '../support/database.js';
import {
  deployedApp,
  type FakeHosts,
  newHost,
  newTenant,
  reconcileUntil,
  resetRuntimeTables,
  startRuntimeProcess,
} from './support/runtime-process.js';

/**
 * The app list is one hand-written statement (AppOverviewService.listOfTenant); what it hands the views
 * must be what the single app's overview (TypeORM entity loads) hands them: the same App and Release
 * entities, endpoints and balancer endpoint, for an app with running replicas and one never built.
 */
describe('app list (medium)', () => {
  let db: DataSource;

  beforeAll(async () => {
    db = await migratedDataSource();
    await resetRuntimeTables(db);
  });
  afterAll(async () => {
    await db.destroy();
  });

  it("lists each app as its own overview does, by name, without apps being deleted or other tenants'", async () => {
    const engines: FakeHosts = new Map();
    const host = await newHost(db, engines);
    const owner = await newTenant(db);
    const rival = await newTenant(db);
    const runtime = await startRuntimeProcess(engines);
    try {
      await deployedApp(runtime, owner, { name: 'listed-web', replicas: 2, engines: [host] });
      await runtime.apps.create(owner, { name: 'listed-empty', replicas: 1 });
      await runtime.apps.create(owner, { name: 'listed-deleting', replicas: 1 });
      await runtime.apps.create(rival, { name: 'listed-rival', replicas: 1 });
      await reconcileUntil(
        runtime,
        async () => (await runtime.apps.get(owner, 'listed-web')).phase === 'running',
      );

      // Marked only now: a reconcile pass would start removing it.
      await db.query(`UPDATE apps SET deleting_at = now() WHERE name = 'listed-deleting'`);
      const list = await runtime.facade.list(owner);
      expect(list.map((summary) => summary.app.name)).toEqual(['listed-empty', 'listed-web']);
      for (const summary of list) {
        const overview = await runtime.facade.describe(owner, summary.app.name);
        expect(summary.app).toEqual(overview.app);
        expect(summary.release).toEqual(overview.release);
        expect(summary.endpoints).toEqual(overview.endpoints);
        expect(summary.loadBalancerEndpoint).toEqual(overview.loadBalancerEndpoint);
        expect(summary.urls).toEqual(overview.urls);
      }
      const web = list.find((summary) => summary.app.name === 'listed-web')!;
      expect(web.endpoints).toHaveLength(2);
      expect(web.release?.version).toBe(1);
      expect(web.app.createdAt).toBeInstanceOf(Date);
      expect(list.find((summary) => summary.app.name === 'listed-empty')!.release).toBeNull();
    } finally {
      await runtime.close();
      await host.close();
    }
  });
});
