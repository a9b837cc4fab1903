import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DockerEngine, tenantNetworkName } from '../../libs/engine/index.js';
import { HostMonitor } from '../../libs/hosts/index.js';
import { TenantSubnetsRepository } from '../../libs/networks/index.js';
import { OPERATOR, login, signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { expressApp } from '../support/archives.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, waitFor } from '../support/docker.js';
import { httpGet, uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { startPoolHosts, stopPoolHost, stopPoolHosts, unregisterHost, type PoolHosts } from './pool-hosts.js';

interface ContainerRow {
  id: string;
  state: string;
  host: { id: string; name: string };
  endpoint: string | null;
}

/**
 * Replicas on a real pool: the local engine plus two extra dockerd hosts. Images move to the extra hosts by
 * save → load; replicas spread across hosts; a cordoned host gets no new replica; a host whose dockerd
 * stops is marked down and its replica is placed elsewhere.
 */
describe('replicas on a pool of hosts', () => {
  let pool: PoolHosts | undefined;
  let api: TestApi;
  let operator: Session;
  let owner: Session;
  const hostIds: Record<string, string> = {};

  beforeAll(async () => {
    await ensureRuntimeImage();
    pool = await startPoolHosts(2);
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    operator = await login(api, OPERATOR.email, OPERATOR.password);
    for (const [i, endpoint] of pool.endpoints.entries()) {
      const name = `pool-${i + 1}-${process.env.BERTH_TEST_RUN}`;
      // Extra hosts have no outbound network (no NAT): they run replicas, builds stay on the local engine.
      const res = await api.http
        .post('/v1/admin/hosts')
        .set(operator.auth)
        .send({ name, endpoint, labels: { builds: 'false' } });
      expect(res.status).toBe(201);
      hostIds[`h${i + 1}`] = res.body.id;
    }
    owner = await signupOwner(api, 'pool');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'hobby' }).expect(200);
  }, 300_000);

  afterAll(async () => {
    try {
      // Unregister the pool hosts (other test files register the same endpoints in this run's database).
      if (api && owner) {
        await api.http.post('/v1/apps/spread/stop').set(owner.auth);
        await waitConverged(api, owner, 'spread', 120_000).catch(() => undefined);
        for (const id of Object.values(hostIds)) await unregisterHost(api, operator, id);
      }
      await api?.close();
      await cleanupTestRun();
      // The pool hosts keep their state across runs: this run's tenant networks there should not outlive
      // it (h2, stopped above, keeps its own; the next run's allocation steps around it).
      for (const endpoint of pool?.endpoints ?? [])
        await cleanupTestRun(new DockerEngine({ endpoint })).catch(() => undefined);
    } finally {
      await stopPoolHosts(pool);
    }
  }, 300_000);

  const containers = async (): Promise<ContainerRow[]> =>
    (await api.http.get('/v1/apps/spread/containers').set(owner.auth).expect(200)).body.filter(
      (c: ContainerRow) => c.state !== 'gone',
    );

  it('spreads replicas across hosts, respects cordon, and replaces replicas of a host that goes down', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'spread', replicas: 2 }).expect(201);
    const build = await uploadBuild(api, owner, 'spread', await expressApp('spread'));
    expect((await waitForBuild(api, owner, 'spread', build)).status).toBe('succeeded');
    let state = await waitConverged(api, owner, 'spread', 180_000);
    let rows = await containers();
    expect(rows).toHaveLength(2);
    expect(new Set(rows.map((r) => r.host.id)).size).toBe(2);
    for (const endpoint of state.endpoints) expect((await httpGet(endpoint)).text).toBe('spread');

    // On every host it runs on, pool hosts included, the tenant's network is on its own subnet from
    // Berth's default pool (10.64.0.0/10 in /24s), never one the daemon picked.
    const subnets = (await api.app.get(TenantSubnetsRepository).all()).filter(
      (s) => s.tenantId === owner.tenantId,
    );
    expect(new Set(subnets.map((s) => s.subnet)).size).toBe(subnets.length);
    for (const row of rows) {
      const subnet = subnets.find((s) => s.hostId === row.host.id)?.subnet ?? '';
      const [first, second] = subnet.split('.').map(Number);
      expect({ first, inDefaultPool: second! >= 64 && second! < 128, prefix: subnet.split('/')[1] }).toEqual({
        first: 10,
        inDefaultPool: true,
        prefix: '24',
      });
      const poolHost = Object.entries(hostIds).find(([, id]) => id === row.host.id)?.[0];
      const engine = poolHost
        ? new DockerEngine({ endpoint: pool!.endpoints[Number(poolHost.slice(1)) - 1]! })
        : testEngine();
      const network = await engine.inspectNetwork({ name: tenantNetworkName(owner.tenantId) });
      expect(network?.ipam.map((config) => config.subnet)).toEqual([subnet]);
    }

    // Cordon every host but h2: the third replica must land there.
    const all = (await api.http.get('/v1/admin/hosts').set(operator.auth).expect(200)).body as {
      id: string;
      name: string;
    }[];
    const cordoned = all.filter((h) => h.id !== hostIds.h2);
    for (const host of cordoned)
      await api.http.post(`/v1/admin/hosts/${host.id}/cordon`).set(operator.auth).expect(200);
    const before = new Set(rows.map((r) => r.id));
    await api.http.patch('/v1/apps/spread').set(owner.auth).send({ replicas: 3 }).expect(202);
    await waitConverged(api, owner, 'spread', 120_000);
    rows = await containers();
    const added = rows.filter((r) => !before.has(r.id));
    expect(added.map((r) => r.host.id)).toEqual([hostIds.h2]);
    for (const host of cordoned)
      await api.http.post(`/v1/admin/hosts/${host.id}/uncordon`).set(operator.auth).expect(200);

    // h2's engine stops: after the monitor's threshold the host is down and its replicas are placed elsewhere.
    await stopPoolHost(2);
    const monitor = api.app.get(HostMonitor);
    await waitFor(
      'h2 down',
      async () => {
        await monitor.probeAll();
        const h2 = (await api.http.get(`/v1/admin/hosts/${hostIds.h2}`).set(operator.auth).expect(200)).body;
        return h2.status === 'down';
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    state = await waitFor(
      'replicas replaced off h2',
      async () => {
        const current = await waitConverged(api, owner, 'spread', 120_000);
        const live = await containers();
        return live.length === 3 &&
          live.every((r) => r.host.id !== hostIds.h2) &&
          live.every((r) => r.state === 'running')
          ? current
          : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(state.endpoints).toHaveLength(3);
    for (const endpoint of state.endpoints) expect((await httpGet(endpoint)).text).toBe('spread');
  }, 600_000);
});
