import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { Principal } from '../../libs/identity/index.js';
import type { Replica } from '../../libs/runtime/index.js';
import { migratedDataSource } from '../support/database.js';
import {
  deployedApp,
  type FakeHosts,
  type ListeningFakeEngine,
  newHost,
  newTenant,
  reconcileUntil,
  resetRuntimeTables,
  type RuntimeProcess,
  startRuntimeProcess,
} from './support/runtime-process.js';

/**
 * What the reconciler does when containers fail, on real PostgreSQL and a fake engine: a crash is restarted
 * after a growing backoff and counted, an OOM kill is recorded, and an engine that is down changes nothing
 * until it answers again.
 */
describe('reconciler against failing containers (medium)', () => {
  let db: DataSource;
  let engines: FakeHosts;
  let engine: ListeningFakeEngine;
  let berth: RuntimeProcess;
  let owner: Principal;

  beforeAll(async () => {
    db = await migratedDataSource();
  });
  afterAll(async () => {
    await db.destroy();
  });
  beforeEach(async () => {
    await resetRuntimeTables(db);
    engines = new Map();
    engine = await newHost(db, engines);
    owner = await newTenant(db);
    berth = await startRuntimeProcess(engines);
  });
  afterEach(async () => {
    await berth.close();
    await engine.close();
  });

  async function status(name: string) {
    return berth.apps.get(owner, name);
  }
  async function replicasOf(name: string): Promise<Replica[]> {
    return (await berth.facade.describe(owner, name)).replicas.map((view) => view.replica);
  }
  async function runningAndObserved(name: string): Promise<boolean> {
    const app = await status(name);
    return app.phase === 'running' && app.observedGeneration === app.generation;
  }
  async function runsOf(replicaId: string): Promise<{ open: number; closed: number }> {
    const [row]: { open: number; closed: number }[] = await db.query(
      `SELECT count(*) FILTER (WHERE stopped_at IS NULL)::int AS open,
              count(*) FILTER (WHERE stopped_at IS NOT NULL)::int AS closed
         FROM replica_runs WHERE replica_id = $1`,
      [replicaId],
    );
    return row!;
  }

  it('restarts a crashed replica in its own container after a doubling backoff, counts it, and reports a crash loop', async () => {
    await deployedApp(berth, owner, { name: 'crashy', replicas: 1, engines: [engine] });
    await reconcileUntil(berth, () => runningAndObserved('crashy'));
    const [first] = await replicasOf('crashy');
    const containerId = first!.containerId!;

    for (let crash = 1; crash <= 3; crash += 1) {
      const crashedAt = Date.now();
      engine.simulateExit({ id: containerId, exitCode: 1 });
      await berth.reconciler.reconcileAll();
      const [crashed] = await replicasOf('crashy');
      expect(crashed).toMatchObject({ id: first!.id, state: 'crashed', restarts: crash, exitCode: 1 });
      expect(crashed!.nextRestartAt!.getTime()).toBeGreaterThanOrEqual(crashedAt + 1000 * 2 ** (crash - 1));
      expect(await runsOf(first!.id)).toEqual({ open: 0, closed: crash });
      if (crash === 3) break;

      // Its backoff over, the same container starts again (same id: same published port) and serves.
      await new Promise((resolve) =>
        setTimeout(resolve, crashed!.nextRestartAt!.getTime() - Date.now() + 50),
      );
      await reconcileUntil(berth, () => runningAndObserved('crashy'));
      const [restarted] = await replicasOf('crashy');
      expect(restarted).toMatchObject({ id: first!.id, containerId, state: 'running', restarts: crash });
      expect((await engine.inspectContainer({ id: containerId }))?.running).toBe(true);
      expect(await runsOf(first!.id)).toEqual({ open: 1, closed: crash });
    }
    const app = await status('crashy');
    expect(app.phase).toBe('crashloop');
    expect(app.statusReason).toMatch(/exited with code 1 \(3 restarts\)/);
    expect(engine.calls.filter((c) => c.method === 'createContainer')).toHaveLength(1);
  });

  it("records an OOM kill on the replica and ends its run at Docker's FinishedAt", async () => {
    await deployedApp(berth, owner, { name: 'hungry', replicas: 1, engines: [engine] });
    await reconcileUntil(berth, () => runningAndObserved('hungry'));
    const [replica] = await replicasOf('hungry');

    engine.simulateExit({ id: replica!.containerId!, exitCode: 137, oomKilled: true });
    await berth.reconciler.reconcileAll();

    const [killed] = await replicasOf('hungry');
    expect(killed).toMatchObject({
      state: 'crashed',
      exitCode: 137,
      oomKilled: true,
      restarts: 1,
      lastError: 'killed: out of memory',
    });
    const details = await engine.inspectContainer({ id: replica!.containerId! });
    const [run]: { stoppedAt: Date }[] = await db.query(
      `SELECT stopped_at AS "stoppedAt" FROM replica_runs WHERE replica_id = $1`,
      [replica!.id],
    );
    expect(run!.stoppedAt.toISOString()).toBe(details!.finishedAt!.toISOString());
  });

  it('leaves every row as it was while the engine is down, and converges on the first pass after it answers', async () => {
    await deployedApp(berth, owner, { name: 'steady', replicas: 2, engines: [engine] });
    await reconcileUntil(berth, () => runningAndObserved('steady'));
    const before = await replicasOf('steady');

    engine.setReachable(false);
    await berth.apps.scale(owner, 'steady', 3);
    await expect(berth.reconciler.reconcileAll()).rejects.toThrow(/ECONNREFUSED/);
    await expect(berth.reconciler.reconcileAll()).rejects.toThrow(/ECONNREFUSED/);

    // Nothing marked gone or crashed, nothing placed: the engine's silence is not a container's death.
    expect(await replicasOf('steady')).toEqual(before);
    const waiting = await status('steady');
    expect(waiting.phase).toBe('converging');
    expect(waiting.observedGeneration).toBeLessThan(waiting.generation);

    engine.setReachable(true);
    await reconcileUntil(berth, () => runningAndObserved('steady'), 3);
    const after = await replicasOf('steady');
    expect(after).toHaveLength(3);
    expect(after.map((r) => r.containerId)).toEqual(expect.arrayContaining(before.map((r) => r.containerId)));
    expect(await engine.listContainers({ labels: { 'berth.app': before[0]!.appId } })).toHaveLength(3);
  });

  it('reports a replica whose start failed, and starts its container again after the backoff', async () => {
    await deployedApp(berth, owner, { name: 'flaky', replicas: 1, engines: [engine] });
    engine.failNext('startContainer');
    await berth.reconciler.reconcileAll();
    const failed = await status('flaky');
    expect(failed.phase).toBe('failed');
    expect(failed.statusReason).toMatch(/a replica failed to start: startContainer: injected failure/);
    const [waiting] = await replicasOf('flaky');
    expect(waiting).toMatchObject({ state: 'crashed', restarts: 1 });

    await new Promise((resolve) => setTimeout(resolve, waiting!.nextRestartAt!.getTime() - Date.now() + 50));
    await reconcileUntil(berth, () => runningAndObserved('flaky'));
    const [live] = await replicasOf('flaky');
    expect(live).toMatchObject({ id: waiting!.id, containerId: waiting!.containerId, state: 'running' });
    expect(engine.calls.filter((c) => c.method === 'createContainer')).toHaveLength(1);
  });
});
