import { describe, expect, it, jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { App, ReleasesService } from '../apps/index.js';
import type { EnginePool, Host, ImageDistribution } from '../hosts/index.js';
import type { TenantNetworks } from '../networks/index.js';
import type { TenantPlanRepository } from '../plans/index.js';
import { ReadinessWatch } from './readiness-watch.js';
import { ReplicaLifecycle, ReplicaNotWantedError } from './replica-lifecycle.js';
import { WEB_ROLE, type ReplicaDraft } from './replica-role.js';
import type { Replica } from './replica.entity.js';
import type { ReplicasRepository } from './replicas.repository.js';

/**
 * ReplicaLifecycle.create with fakes around it: the image reaches the host slowly, and the app is stopped
 * (or not) while it does.
 */
describe('ReplicaLifecycle.create', () => {
  function setUp(appRunsAfterImage: boolean) {
    let imageArrived!: () => void;
    const imageOnHost = new Promise<void>((resolve) => (imageArrived = resolve));
    const gone: string[] = [];
    const engine = {
      createContainer: jest.fn(async () => ({ id: 'c1' })),
      startContainer: jest.fn(async () => undefined),
      inspectContainer: jest.fn(async () => undefined),
    };
    const replicas = {
      insertPending: async () => ({ id: 'r1' }) as Replica,
      markGone: async (id: string) => void gone.push(id),
      recordContainer: async () => undefined,
      byId: async () => ({ id: 'r1', containerId: null }) as unknown as Replica,
      markStartFailed: async () => undefined,
    };
    const lifecycle = new ReplicaLifecycle(
      { query: async () => (appRunsAfterImage ? [{ '?column?': 1 }] : []) } as unknown as DataSource,
      replicas as unknown as ReplicasRepository,
      { engineFor: async () => engine } as unknown as EnginePool,
      { ensureOn: async () => imageOnHost } as unknown as ImageDistribution,
      {} as ReleasesService,
      { ensure: async () => 'net' } as unknown as TenantNetworks,
      {} as TenantPlanRepository,
      new ReadinessWatch(),
    );
    const draft: ReplicaDraft = {
      app: { id: 'a1', tenantId: 't1' } as App,
      releaseId: 'v1',
      host: { id: 'h1', name: 'pool-1' } as Host,
      image: 'img',
      imageDigest: null,
      memoryMb: 64,
      cpuMillis: 250,
      containerName: (instance) => `berth-a1-web-${instance}`,
      spec: async () => ({}) as Awaited<ReturnType<ReplicaDraft['spec']>>,
    };
    return { lifecycle, draft, engine, gone, imageArrived };
  }

  it('creates no container when the app stopped while the image was on its way, and marks the replica gone', async () => {
    const { lifecycle, draft, engine, gone, imageArrived } = setUp(false);
    const creating = lifecycle.create(WEB_ROLE, draft);
    imageArrived();
    await expect(creating).rejects.toBeInstanceOf(ReplicaNotWantedError);
    expect(engine.createContainer).not.toHaveBeenCalled();
    expect(engine.startContainer).not.toHaveBeenCalled();
    expect(gone).toEqual(['r1']);
  });

  it('creates and starts the container when the app still runs', async () => {
    const { lifecycle, draft, engine, gone, imageArrived } = setUp(true);
    const creating = lifecycle.create(WEB_ROLE, draft);
    imageArrived();
    await expect(creating).resolves.toMatchObject({ id: 'r1' });
    expect(engine.createContainer).toHaveBeenCalledTimes(1);
    expect(engine.startContainer).toHaveBeenCalledTimes(1);
    expect(gone).toEqual([]);
  });
});
