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
 * A restarted Berth adopts what the previous process left on the engines: a second process on the same
 * database and engines creates nothing, removes nothing, and does not meter a run twice, even for a
 * container the first process created but died before recording.
 */
describe('adoption after a restart (medium)', () => {
  let db: DataSource;

  beforeAll(async () => {
    db = await migratedDataSource();
    await resetRuntimeTables(db);
  });
  afterAll(async () => {
    await db.destroy();
  });

  it('a new process adopts every container of the old one: nothing orphaned, nothing duplicated', async () => {
    const engines: FakeHosts = new Map();
    const engines2 = [await newHost(db, engines), await newHost(db, engines)];
    const owner = await newTenant(db);

    const first = await startRuntimeProcess(engines);
    const app = await deployedApp(first, owner, { name: 'adopted', replicas: 3, engines: engines2 });
    await reconcileUntil(first, async () => (await first.apps.get(owner, 'adopted')).phase === 'running');
    const before = (await first.facade.describe(owner, 'adopted')).replicas.map((v) => v.replica);
    await first.close();

    // The first process died after Docker created one container and before its row said so.
    const lost = before[0]!;
    await db.query(`UPDATE replicas SET container_id = NULL, state = 'pending' WHERE id = $1`, [lost.id]);
    const callsBefore = engines2.map((e) => e.calls.length);

    const second = await startRuntimeProcess(engines);
    try {
      await second.apps.scale(owner, 'adopted', 3); // a change, so the pass reports on a new generation
      await reconcileUntil(second, async () => {
        const status = await second.apps.get(owner, 'adopted');
        return status.phase === 'running' && status.observedGeneration === status.generation;
      });
      const after = (await second.facade.describe(owner, 'adopted')).replicas.map((v) => v.replica);
      expect(after.map((r) => [r.id, r.containerId, r.state]).sort()).toEqual(
        before.map((r) => [r.id, r.containerId, 'running']).sort(),
      );
      const changes = engines2.flatMap((engine, i) =>
        engine.calls
          .slice(callsBefore[i])
          .filter((c) => ['createContainer', 'removeContainer', 'stopContainer'].includes(c.method)),
      );
      expect(changes).toEqual([]);
      const containers = await Promise.all(
        engines2.map((e) => e.listContainers({ labels: { 'berth.app': app.id }, all: true })),
      );
      expect(
        containers
          .flat()
          .map((c) => c.id)
          .sort(),
      ).toEqual(before.map((r) => r.containerId).sort());
      // One run per container start: the adopted start is not metered twice.
      const [runs]: { runs: number; containers: number }[] = await db.query(
        `SELECT count(*)::int AS runs, count(DISTINCT container_id)::int AS containers
           FROM replica_runs WHERE app_id = $1`,
        [app.id],
      );
      expect(runs).toEqual({ runs: 3, containers: 3 });
    } finally {
      await second.close();
      await Promise.all(engines2.map((e) => e.close()));
    }
  });
});
