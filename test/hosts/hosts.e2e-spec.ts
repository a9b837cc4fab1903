import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DockerEngine } from '../../libs/engine/index.js';
import { EnginePool, HostMonitor } from '../../libs/hosts/index.js';
import { NoCapacityError, placeReplicas } from '../../libs/scheduler/index.js';
import { OPERATOR, login, signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { migratedDataSource } from '../support/database.js';
import { TEST_RUN_LABEL, testRunId } from '../support/docker.js';
import { startPoolHosts, stopPoolHost, stopPoolHosts, type PoolHosts } from './pool-hosts.js';

interface HostBody {
  id: string;
  name: string;
  endpoint: string;
  tls: boolean;
  status: string;
  adminStatus: string;
  publicAddress: string;
  engineVersion: string | null;
  cpus: number;
  memoryMb: number;
  labels: Record<string, string>;
  consecutiveFailures: number;
  lastHeartbeatAt: string | null;
  lastError: string | null;
}

describe('Docker host pool: /v1/admin/hosts on real engines', () => {
  let pool: PoolHosts | undefined;
  let api: TestApi | undefined;
  let db: DataSource;
  let operator: Session;
  let tenant: Session;
  /** Hosts this file registered; removed in afterAll whatever happened. */
  const registered = new Set<string>();
  let h1: HostBody;
  let h2: HostBody;

  const admin = () => api!.http;
  const register = async (body: object, status = 201) => {
    const res = await admin().post('/v1/admin/hosts').set(operator.auth).send(body).expect(status);
    if (res.status === 201) registered.add(res.body.id);
    return res;
  };
  const getHost = async (id: string): Promise<HostBody> =>
    (await admin().get(`/v1/admin/hosts/${id}`).set(operator.auth).expect(200)).body;
  const auditOf = (
    hostId: string,
  ): Promise<{ action: string; actor: string; data: Record<string, unknown> }[]> =>
    db.query('SELECT action, actor, data FROM audit_events WHERE target = $1 ORDER BY created_at', [
      `host:${hostId}`,
    ]);

  beforeAll(async () => {
    pool = await startPoolHosts(2);
    api = await startTestApi();
    db = await migratedDataSource();
    operator = await login(api, OPERATOR.email, OPERATOR.password);
    tenant = await signupOwner(api, 'hosts-tenant');
  }, 240_000);

  afterAll(async () => {
    try {
      if (registered.size > 0) {
        // Straight from the table: a failed test may have left replicas rows that the API would refuse on.
        await db?.query('DELETE FROM replicas WHERE host_id = ANY($1)', [[...registered]]);
        await db?.query('DELETE FROM hosts WHERE id = ANY($1)', [[...registered]]);
      }
      for (const endpoint of pool?.endpoints ?? []) {
        await new DockerEngine({ endpoint })
          .removeLabelled({ label: `${TEST_RUN_LABEL}=${testRunId()}` })
          .catch(() => undefined);
      }
      await db?.destroy();
      await api?.close();
    } finally {
      await stopPoolHosts(pool);
    }
  }, 240_000);

  it('registers a pool host after probing it: version, CPUs and memory come from the engine', async () => {
    const info = await new DockerEngine({ endpoint: pool!.endpoints[0] }).info();
    const res = await register({ name: 'pool-h1', endpoint: pool!.endpoints[0], labels: { zone: 'a' } });
    h1 = res.body;
    expect(h1).toMatchObject({
      name: 'pool-h1',
      endpoint: pool!.endpoints[0],
      tls: false,
      status: 'ready',
      adminStatus: 'ready',
      publicAddress: '127.0.0.1',
      engineVersion: info.engineVersion,
      cpus: info.cpus,
      memoryMb: info.memoryMb,
      labels: { zone: 'a' },
      consecutiveFailures: 0,
      lastError: null,
    });
    expect(Date.now() - Date.parse(h1.lastHeartbeatAt!)).toBeLessThan(60_000);
    expect(await getHost(h1.id)).toEqual(h1);
    const list = await admin().get('/v1/admin/hosts').set(operator.auth).expect(200);
    expect(list.body.map((host: HostBody) => host.id)).toContain(h1.id);
    const [event] = await auditOf(h1.id);
    expect(event).toMatchObject({ action: 'host.register', actor: `user:${operator.userId}` });
    expect(event.data).toMatchObject({ name: 'pool-h1', endpoint: pool!.endpoints[0], tls: false });

    h2 = (await register({ name: 'pool-h2', endpoint: pool!.endpoints[1] })).body;
    expect(h2.status).toBe('ready');
  });

  it.each([
    ['a unix socket that does not exist', { endpoint: 'unix:///nonexistent.sock' }, /ENOENT/],
    [
      'a tcp port nobody listens on',
      { endpoint: 'tcp://127.0.0.1:1', publicAddress: '127.0.0.1' },
      /ECONNREFUSED/,
    ],
  ])('refuses %s with 422 host_unreachable naming the endpoint and the error', async (_what, body, error) => {
    const name = `unreachable-${randomUUID().slice(0, 8)}`;
    const res = await register({ name, ...body }, 422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 422, code: 'host_unreachable', endpoint: body.endpoint });
    expect(res.body.detail).toContain(body.endpoint);
    expect(res.body.detail).toMatch(error);
    const stored = await db.query('SELECT id FROM hosts WHERE name = $1', [name]);
    expect(stored).toEqual([]);
  });

  it('is invisible to tenants (404 on every route) and closed to anonymous callers (401)', async () => {
    const calls = (auth: Record<string, string>) => [
      admin().get('/v1/admin/hosts').set(auth),
      admin()
        .post('/v1/admin/hosts')
        .set(auth)
        .send({ name: 'sneaky', endpoint: 'unix:///var/run/docker.sock' }),
      admin().get(`/v1/admin/hosts/${h1.id}`).set(auth),
      admin().post(`/v1/admin/hosts/${h1.id}/cordon`).set(auth),
      admin().post(`/v1/admin/hosts/${h1.id}/uncordon`).set(auth),
      admin().post(`/v1/admin/hosts/${h1.id}/drain`).set(auth),
      admin().delete(`/v1/admin/hosts/${h1.id}`).set(auth),
    ];
    for (const res of await Promise.all(calls(tenant.auth))) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('not_found');
    }
    for (const res of await Promise.all(calls({}))) expect(res.status).toBe(401);
    expect((await getHost(h1.id)).status).toBe('ready');
    expect(await db.query('SELECT id FROM hosts WHERE name = $1', ['sneaky'])).toEqual([]);
  });

  it('refuses a duplicate name or endpoint with 409 host_exists', async () => {
    const sameName = await register({ name: 'pool-h1', endpoint: 'unix:///nonexistent.sock' }, 409);
    expect(sameName.body).toMatchObject({ code: 'host_exists', hostId: h1.id });
    const sameEndpoint = await register({ name: 'pool-h1-again', endpoint: pool!.endpoints[0] }, 409);
    expect(sameEndpoint.body).toMatchObject({ code: 'host_exists', hostId: h1.id });
    expect(sameEndpoint.body.detail).toContain('pool-h1');
  });

  it.each([
    [
      'tls for a unix socket',
      {
        endpoint: 'unix:///var/run/docker.sock',
        tls: {
          ca: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
          cert: '-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n',
          key: '-----BEGIN PRIVATE KEY-----\nSECRETKEYTEXT\n-----END PRIVATE KEY-----\n',
        },
      },
      'tls_requires_tcp',
    ],
    [
      'plain tcp beyond loopback',
      { endpoint: 'tcp://10.0.0.5:2375', publicAddress: '10.0.0.5' },
      'tls_required',
    ],
    ['tcp without publicAddress', { endpoint: 'tcp://127.0.0.1:2375' }, 'public_address_required'],
    ['a relative socket path', { endpoint: 'unix://docker.sock' }, 'invalid_endpoint'],
  ])('refuses %s with 422 before probing anything', async (_what, body, code) => {
    const res = await register({ name: 'invalid', ...body }, 422);
    expect(res.body.code).toBe(code);
    expect(JSON.stringify(res.body)).not.toContain('SECRETKEYTEXT');
  });

  it.each([
    ['an unknown scheme', { name: 'x', endpoint: 'http://127.0.0.1:2375' }],
    ['an upper-case name', { name: 'Pool', endpoint: 'unix:///var/run/docker.sock' }],
    ['an unknown field', { name: 'x', endpoint: 'unix:///var/run/docker.sock', privileged: true }],
    ['labels with a number', { name: 'x', endpoint: 'unix:///var/run/docker.sock', labels: { zone: 1 } }],
    [
      'a publicAddress that is not an IP',
      { name: 'x', endpoint: 'unix:///s.sock', publicAddress: 'example.com' },
    ],
    [
      'tls that is not PEM',
      { name: 'x', endpoint: 'tcp://127.0.0.1:2376', tls: { ca: 'a', cert: 'b', key: 'c' } },
    ],
  ])('refuses %s with 400 validation_failed', async (_what, body) => {
    const res = await register(body, 400);
    expect(res.body.code).toBe('validation_failed');
  });

  it('cordon, drain and uncordon set the admin status, which the scheduler reads as status', async () => {
    const pool = api!.app.get(EnginePool);
    const schedulable = async () => (await pool.schedulableHosts()).map((host) => host.id);
    expect(await schedulable()).toEqual(expect.arrayContaining([h1.id, h2.id]));

    const cordoned = await admin().post(`/v1/admin/hosts/${h1.id}/cordon`).set(operator.auth).expect(200);
    expect(cordoned.body).toMatchObject({ status: 'cordoned', adminStatus: 'cordoned' });
    expect(await schedulable()).not.toContain(h1.id);

    const draining = await admin().post(`/v1/admin/hosts/${h1.id}/drain`).set(operator.auth).expect(200);
    expect(draining.body).toMatchObject({ status: 'draining', adminStatus: 'draining' });
    expect(await schedulable()).not.toContain(h1.id);

    const ready = await admin().post(`/v1/admin/hosts/${h1.id}/uncordon`).set(operator.auth).expect(200);
    expect(ready.body).toMatchObject({ status: 'ready', adminStatus: 'ready' });
    expect(await schedulable()).toContain(h1.id);

    const actions = (await auditOf(h1.id)).map((event) => event.action);
    expect(actions).toEqual(['host.register', 'host.cordon', 'host.drain', 'host.uncordon']);
    await admin().post(`/v1/admin/hosts/${randomUUID()}/cordon`).set(operator.auth).expect(404);
    await admin().post('/v1/admin/hosts/not-a-uuid/cordon').set(operator.auth).expect(400);
  });

  it('EnginePool hands out one cached engine per host, labelled with the test run', async () => {
    const enginePool = api!.app.get(EnginePool);
    const engine = await enginePool.engineFor(h1.id);
    expect(await enginePool.engineFor(h1.id)).toBe(engine);
    await engine.ping();
    const name = `berth-pool-label-${randomUUID().slice(0, 8)}`;
    await engine.ensureNetwork({ name, labels: {} });
    const direct = new DockerEngine({ endpoint: h1.endpoint });
    const labelled = await direct.listNetworks({ labels: { [TEST_RUN_LABEL]: testRunId() } });
    expect(labelled.map((network) => network.name)).toContain(name);
    await direct.removeNetwork({ name });

    enginePool.invalidate(h1.id);
    expect(await enginePool.engineFor(h1.id)).not.toBe(engine);
    await expect(enginePool.engineFor(randomUUID())).rejects.toMatchObject({ code: 'not_found' });
  });

  it('the monitor marks a host whose dockerd stopped down after the threshold, and back when it returns', async () => {
    const monitor = api!.app.get(HostMonitor);
    const threshold = monitor.options.failureThreshold;
    expect(threshold).toBe(3);
    const reportOf = async () => (await monitor.probeAll()).find((report) => report.hostId === h2.id)!;

    const healthy = await reportOf();
    expect(healthy).toMatchObject({ ok: true, status: 'ready', event: undefined });
    const heartbeatBefore = (await getHost(h2.id)).lastHeartbeatAt!;

    await stopPoolHost(2);
    try {
      for (let round = 1; round < threshold; round++) {
        expect(await reportOf()).toMatchObject({ ok: false, status: 'ready', consecutiveFailures: round });
      }
      const stillReady = await getHost(h2.id);
      expect(stillReady).toMatchObject({ status: 'ready', consecutiveFailures: threshold - 1 });
      expect(stillReady.lastError).toMatch(/ENOENT|ECONNREFUSED/);

      expect(await reportOf()).toMatchObject({ ok: false, status: 'down', event: 'down' });
      const down = await getHost(h2.id);
      expect(down).toMatchObject({ status: 'down', adminStatus: 'ready', consecutiveFailures: threshold });
      expect(down.lastError).toMatch(/ENOENT|ECONNREFUSED/);
      expect(down.lastHeartbeatAt).toBe(heartbeatBefore);
      expect(await api!.app.get(EnginePool).schedulableHosts()).not.toContainEqual(
        expect.objectContaining({ id: h2.id }),
      );
      // An operator's cordon while the host is down is kept, and status stays down.
      const cordoned = await admin().post(`/v1/admin/hosts/${h2.id}/cordon`).set(operator.auth).expect(200);
      expect(cordoned.body).toMatchObject({ status: 'down', adminStatus: 'cordoned' });
      expect(await reportOf()).toMatchObject({
        status: 'down',
        event: undefined,
        consecutiveFailures: threshold + 1,
      });

      // The scheduler, given every host of this test: nothing lands on a down or a cordoned host.
      const placementHosts = async () =>
        (await api!.app.get(EnginePool).hosts())
          .filter((host) => host.id === h1.id || host.id === h2.id)
          .map((host) => ({ id: host.id, status: host.status, memoryMb: host.memoryMb, allocatedMb: 0 }));
      const placements = placeReplicas(await placementHosts(), {
        appId: 'app',
        count: 3,
        memoryMb: 64,
        existing: [],
      });
      expect(placements.map((placement) => placement.hostId)).toEqual([h1.id, h1.id, h1.id]);
      await admin().post(`/v1/admin/hosts/${h1.id}/cordon`).set(operator.auth).expect(200);
      const none = await placementHosts();
      expect(() => placeReplicas(none, { appId: 'app', count: 1, memoryMb: 64, existing: [] })).toThrow(
        NoCapacityError,
      );
      await admin().post(`/v1/admin/hosts/${h1.id}/uncordon`).set(operator.auth).expect(200);
    } finally {
      // Restarts h2 only (h1 still runs); `pool` keeps saying who started the pool.
      await startPoolHosts(2);
    }

    const back = await reportOf();
    expect(back).toMatchObject({ ok: true, status: 'cordoned', consecutiveFailures: 0, event: 'up' });
    const returned = await getHost(h2.id);
    expect(returned).toMatchObject({ status: 'cordoned', adminStatus: 'cordoned', lastError: null });
    expect(Date.parse(returned.lastHeartbeatAt!)).toBeGreaterThan(Date.parse(heartbeatBefore));
    const uncordoned = await admin().post(`/v1/admin/hosts/${h2.id}/uncordon`).set(operator.auth).expect(200);
    expect(uncordoned.body.status).toBe('ready');

    // Both back in service: two replicas of one app spread over both hosts.
    const hosts = (await api!.app.get(EnginePool).schedulableHosts())
      .filter((host) => host.id === h1.id || host.id === h2.id)
      .map((host) => ({ id: host.id, status: host.status, memoryMb: host.memoryMb, allocatedMb: 0 }));
    const spread = placeReplicas(hosts, { appId: 'app', count: 2, memoryMb: 64, existing: [] });
    expect(new Set(spread.map((placement) => placement.hostId))).toEqual(new Set([h1.id, h2.id]));

    const events = (await auditOf(h2.id)).filter((event) => event.actor === 'system');
    expect(events.map((event) => event.action)).toEqual(['host.down', 'host.up']);
  }, 180_000);

  it('removes an empty host, and refuses one that still has replicas with 409 host_not_empty', async () => {
    const insertReplica = (state: string) =>
      db.query(
        `INSERT INTO replicas (app_id, tenant_id, host_id, container_name, state, memory_mb, cpu_millis)
         VALUES ($1, $2, $3, $4, $5, 64, 100) RETURNING id`,
        [randomUUID(), tenant.tenantId, h2.id, `berth-test-${randomUUID().slice(0, 8)}`, state],
      );
    await insertReplica('gone');
    await insertReplica('running');
    await insertReplica('crashed');
    const refused = await admin().delete(`/v1/admin/hosts/${h2.id}`).set(operator.auth).expect(409);
    expect(refused.body).toMatchObject({ code: 'host_not_empty', replicas: 2 });
    await getHost(h2.id);

    await db.query(`UPDATE replicas SET state = 'gone' WHERE host_id = $1`, [h2.id]);
    await admin().delete(`/v1/admin/hosts/${h2.id}`).set(operator.auth).expect(204);
    await admin().get(`/v1/admin/hosts/${h2.id}`).set(operator.auth).expect(404);
    await admin().delete(`/v1/admin/hosts/${h2.id}`).set(operator.auth).expect(404);
    expect((await auditOf(h2.id)).at(-1)).toMatchObject({
      action: 'host.remove',
      actor: `user:${operator.userId}`,
    });

    await admin().delete(`/v1/admin/hosts/${h1.id}`).set(operator.auth).expect(204);
    // Gone from the scheduler's view as well.
    const left = (await api!.app.get(EnginePool).hosts()).map((host) => host.id);
    expect(left).not.toContain(h1.id);
    expect(left).not.toContain(h2.id);
  });
});
