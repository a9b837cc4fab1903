import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { Principal } from '../../libs/identity/index.js';
import {
  AppMetricsService,
  MetricsSampler,
  MetricsSamplingModule,
  ReplicaSample,
  ReplicaSamplesRepository,
} from '../../libs/metrics/index.js';
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

const MB = 1024 * 1024;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The metrics sampler on real PostgreSQL with a fake engine whose counters the test sets: differences
 * between samples of one run, a restart after an OOM kill, engine failures, retention and the app's series.
 */
describe('metrics sampler (medium)', () => {
  let db: DataSource;
  let engines: FakeHosts;
  let engine: ListeningFakeEngine;
  let berth: RuntimeProcess;
  let owner: Principal;
  let sampler: MetricsSampler;
  let samples: ReplicaSamplesRepository;

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
    berth = await startRuntimeProcess(engines, {}, [MetricsSamplingModule]);
    sampler = berth.module.get(MetricsSampler);
    samples = berth.module.get(ReplicaSamplesRepository);
  });
  afterEach(async () => {
    await berth.close();
    await engine.close();
  });

  async function runningReplicas(name: string): Promise<Replica[]> {
    await reconcileUntil(berth, async () => {
      const app = await berth.apps.get(owner, name);
      return app.phase === 'running' && app.observedGeneration === app.generation;
    });
    return (await berth.facade.describe(owner, name)).replicas.map((view) => view.replica);
  }
  async function samplesOf(replicaId: string): Promise<ReplicaSample[]> {
    return db.getRepository(ReplicaSample).find({ where: { replicaId }, order: { sampledAt: 'ASC' } });
  }

  it('stores one sample per replica per pass, with the differences of the counters since the previous one', async () => {
    await deployedApp(berth, owner, { name: 'busy', replicas: 2, engines: [engine] });
    const [a, b] = await runningReplicas('busy');
    engine.setCounters({
      id: a!.containerId!,
      counters: { cpuNanos: 1e9, networkRxBytes: 1000, memoryBytes: 30 * MB },
    });
    expect(await sampler.samplePass()).toEqual({ sampled: 2, failed: 0 });

    await pause(50);
    engine.setCounters({
      id: a!.containerId!,
      counters: {
        cpuNanos: 1.2e9,
        networkRxBytes: 1500,
        networkTxBytes: 70,
        blockWriteBytes: 4096,
        memoryBytes: 40 * MB,
        pids: 11,
      },
    });
    expect(await sampler.samplePass()).toEqual({ sampled: 2, failed: 0 });

    const [first, second] = await samplesOf(a!.id);
    // The first sample counts from the run's start (the counters' zero), the second from the first.
    expect(first).toMatchObject({ networkRxBytes: 1000, memoryBytes: 30 * MB, containerId: a!.containerId });
    expect(second).toMatchObject({
      networkRxBytes: 500,
      networkTxBytes: 70,
      blockWriteBytes: 4096,
      memoryBytes: 40 * MB,
      memoryLimitBytes: 256 * MB,
      cpuLimitMillicores: 500,
      pids: 11,
      restarts: 0,
    });
    expect(second!.intervalMs).toBe(second!.sampledAt.getTime() - first!.sampledAt.getTime());
    expect(second!.cpuMillicores).toBeCloseTo((0.2e9 / (second!.intervalMs! * 1e6)) * 1000, 6);
    expect(await samplesOf(b!.id)).toHaveLength(2);

    // The app's series, summed over both replicas, as GET /v1/apps/{app}/metrics reads it.
    const metrics = await new AppMetricsService(berth.apps, samples).series(owner, 'busy', {
      from: new Date(Date.now() - 60_000),
      stepSeconds: 3600,
    });
    const points = metrics.series.flatMap((s) => s.points);
    expect(points.reduce((sum, p) => sum + p.samples, 0)).toBe(4);
    expect(points.reduce((sum, p) => sum + p.networkRxBytes, 0)).toBe(1500);
    await expect(
      new AppMetricsService(berth.apps, samples).series(await newTenant(db), 'busy', {}),
    ).rejects.toMatchObject({ status: 404, code: 'not_found' });
  });

  it('counts a restart after an OOM kill, and takes no difference across it', async () => {
    await deployedApp(berth, owner, { name: 'hungry', replicas: 1, engines: [engine] });
    const [replica] = await runningReplicas('hungry');
    engine.setCounters({ id: replica!.containerId!, counters: { cpuNanos: 5e9, networkRxBytes: 9000 } });
    await sampler.samplePass();

    engine.simulateExit({ id: replica!.containerId!, exitCode: 137, oomKilled: true });
    await berth.reconciler.reconcileAll();
    const [crashed] = (await berth.facade.describe(owner, 'hungry')).replicas.map((v) => v.replica);
    await pause(crashed!.nextRestartAt!.getTime() - Date.now() + 50);
    await runningReplicas('hungry');
    // The restarted container counts from zero again (a new cgroup).
    engine.setCounters({ id: replica!.containerId!, counters: { networkRxBytes: 100 } });
    expect(await sampler.samplePass()).toEqual({ sampled: 1, failed: 0 });

    const [, afterRestart] = await samplesOf(replica!.id);
    expect(afterRestart).toMatchObject({ restarts: 1, oomKills: 1, restartsTotal: 1, networkRxBytes: 100 });
    expect(afterRestart!.cpuMillicores).toBe(0);
  });

  it('skips what it cannot read: one failed read costs one sample, a host that is down costs its samples', async () => {
    await deployedApp(berth, owner, { name: 'steady', replicas: 2, engines: [engine] });
    await runningReplicas('steady');
    engine.failNext('readContainerCounters');
    expect(await sampler.samplePass()).toEqual({ sampled: 1, failed: 1 });

    engine.setReachable(false);
    expect(await sampler.samplePass()).toEqual({ sampled: 0, failed: 2 });
    expect(sampler.failedReadsTotal()).toBe(3);
    engine.setReachable(true);
    expect(await sampler.samplePass()).toEqual({ sampled: 2, failed: 0 });
  });

  it('deletes samples older than the cutoff and keeps the rest', async () => {
    await deployedApp(berth, owner, { name: 'old', replicas: 1, engines: [engine] });
    const [replica] = await runningReplicas('old');
    await sampler.samplePass();
    await db.query(
      `UPDATE replica_samples SET sampled_at = now() - interval '25 hours' WHERE replica_id = $1`,
      [replica!.id],
    );
    await sampler.samplePass();

    expect(await samples.deleteBatchBefore(new Date(Date.now() - 24 * 3_600_000))).toBe(1);
    expect(await samplesOf(replica!.id)).toHaveLength(1);
  });
});
