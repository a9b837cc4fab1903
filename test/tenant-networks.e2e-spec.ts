import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pLimit from 'p-limit';
import type { DataSource } from 'typeorm';
import { tenantNetworkName } from '../libs/engine/index.js';
import { EnginePool } from '../libs/hosts/index.js';
import { TenantNetworks } from '../libs/networks/index.js';
import { signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { tarGz } from './support/archives.js';
import { migratedDataSource } from './support/database.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, waitFor } from './support/docker.js';
import { httpGet, uploadBuild, waitConverged, waitForBuild } from './support/lifecycle.js';
import { runNodeProbe } from './engine/tenant-containers.js';

/**
 * Issue #20: Docker's default address pools hold about 30 bridge networks, so with the daemon picking
 * subnets the 31st tenant on a host could not build. Here 64 tenants each run a replica on the one host,
 * all through the real API (signup, app, upload, build, reconciler), and each gets its own network on a
 * subnet from Berth's pool: a range of this file's own (10.62.0.0/16 in /26s, 61 containers per tenant
 * per host), outside the default pool and the ranges other tests use, so runs beside them cannot meet.
 * The 64 builds are of one tiny dependency-free app: after the first, every layer but the labels comes
 * from Docker's cache. Deleting the apps must give every subnet back (rows gone, networks gone).
 */
const TENANTS = 64;
const POOL = '10.62.0.0/16';
const PREFIX = 26;
const PARALLEL = pLimit(8);

function tinyApp(body: string): Promise<Buffer> {
  return tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'tiny', version: '1.0.0', main: 'server.js' }) },
    {
      name: 'server.js',
      body: `const server = require('http').createServer((req, res) => res.end(process.env.BODY || ${JSON.stringify(body)}));
server.listen(process.env.PORT);
process.on('SIGTERM', () => server.close(() => process.exit(0)));`,
    },
  ]);
}

function inPool(subnet: string): boolean {
  const match = /^10\.62\.(\d+)\.(\d+)\/26$/.exec(subnet);
  return match !== null && Number(match[2]) % 64 === 0;
}

describe('tenant networks on subnets from Berth’s pool', () => {
  let api: TestApi;
  let apiClosed = false;
  let db: DataSource;
  const engine = testEngine();
  const tenants: Session[] = [];
  const startedAt = Date.now();

  beforeAll(async () => {
    await ensureRuntimeImage(engine);
    db = await migratedDataSource();
    api = await startTestApi({
      runWorkers: true,
      reconcileIntervalMs: 1000,
      buildConcurrency: 4,
      tenantSubnets: POOL,
      tenantSubnetPrefix: PREFIX,
    });
  }, 120_000);

  afterAll(async () => {
    try {
      if (!apiClosed) await api?.close();
    } finally {
      await cleanupTestRun(engine);
      await db?.destroy();
    }
  }, 180_000);

  it(`gives each of ${TENANTS} tenants on one host its own network from the pool, isolated from the others`, async () => {
    const archive = await tinyApp('hello');
    tenants.push(
      ...(await Promise.all(
        Array.from({ length: TENANTS }, (_, i) =>
          PARALLEL(async () => {
            const owner = await signupOwner(api, `net${i}`);
            await api.http.post('/v1/apps').set(owner.auth).send({ name: 'tiny' }).expect(201);
            return owner;
          }),
        ),
      )),
    );
    const signedUp = Date.now();
    const builds = await Promise.all(
      tenants.map((owner) => PARALLEL(() => uploadBuild(api, owner, 'tiny', archive))),
    );
    const results = await Promise.all(
      tenants.map((owner, i) => waitForBuild(api, owner, 'tiny', builds[i]!, 600_000)),
    );
    expect(results.filter((build) => build.status !== 'succeeded')).toEqual([]);
    const built = Date.now();
    const states = await Promise.all(tenants.map((owner) => waitConverged(api, owner, 'tiny', 300_000)));
    console.log(
      `${TENANTS} tenants: signup+app ${((signedUp - startedAt) / 1000).toFixed(0)} s, ` +
        `builds ${((built - signedUp) / 1000).toFixed(0)} s, running ${((Date.now() - built) / 1000).toFixed(0)} s`,
    );
    expect(states.every((state) => state.phase === 'running' && state.endpoints.length === 1)).toBe(true);
    expect(await httpGet(states[0]!.endpoints[0]!)).toEqual({ status: 200, text: 'hello' });
    expect(await httpGet(states.at(-1)!.endpoints[0]!)).toEqual({ status: 200, text: 'hello' });

    const rows: { tenantId: string; subnet: string }[] = await db.query(
      `SELECT tenant_id AS "tenantId", subnet::text AS subnet FROM tenant_subnets WHERE tenant_id = ANY($1::uuid[])`,
      [tenants.map((owner) => owner.tenantId)],
    );
    expect(rows).toHaveLength(TENANTS);
    expect(new Set(rows.map((row) => row.subnet)).size).toBe(TENANTS);
    const recorded = new Map(rows.map((row) => [row.tenantId, row.subnet]));

    for (const owner of tenants) {
      const network = await engine.inspectNetwork({ name: tenantNetworkName(owner.tenantId) });
      const subnet = recorded.get(owner.tenantId)!;
      expect(inPool(subnet)).toBe(true);
      expect(network?.ipam).toEqual([
        { subnet, gateway: subnet.replace(/\.(\d+)\/26$/, (_, last) => `.${Number(last) + 1}`) },
      ]);
      const [replica] = await engine.listContainers({
        labels: { 'berth.tenant': owner.tenantId, 'berth.role': 'web' },
      });
      const details = await engine.inspectContainer({ id: replica!.id });
      const ip = details!.networks[tenantNetworkName(owner.tenantId)]!.ipAddress;
      const [, , third, fourth] = ip.split('.').map(Number);
      const [, , netThird, netFourth] = subnet.split('/')[0]!.split('.').map(Number);
      expect(third).toBe(netThird);
      expect(fourth! - netFourth!).toBeGreaterThan(1);
      expect(fourth! - netFourth!).toBeLessThan(63);
    }

    // Tenant-to-tenant TCP is still refused: a probe on the first tenant's network cannot reach the last
    // tenant's replica, which a probe on the last tenant's own network reaches.
    const first = tenants[0]!;
    const last = tenants.at(-1)!;
    const [target] = await engine.listContainers({
      labels: { 'berth.tenant': last.tenantId, 'berth.role': 'web' },
    });
    const targetIp = (await engine.inspectContainer({ id: target!.id }))!.networks[
      tenantNetworkName(last.tenantId)
    ]!.ipAddress;
    const probe = `
      const socket = require('net').connect({ host: process.env.TARGET, port: 8080 });
      const done = (result) => { console.log(JSON.stringify(result)); process.exit(0); };
      socket.setTimeout(2000, () => done('timeout'));
      socket.on('connect', () => done('connected'));
      socket.on('error', (error) => done(error.code));`;
    const probes = await Promise.all([
      runNodeProbe<string>(engine, {
        tenantId: first.tenantId,
        instance: 'probe',
        env: { TARGET: targetIp },
        script: probe,
      }),
      runNodeProbe<string>(engine, {
        tenantId: last.tenantId,
        instance: 'probe',
        env: { TARGET: targetIp },
        script: probe,
      }),
    ]);
    for (const { id } of probes) await engine.removeContainer({ id, force: true });
    expect(probes[1].result).toBe('connected');
    expect(probes[0].result).not.toBe('connected');
  }, 900_000);

  it('gives every subnet back when the tenants’ apps are deleted', async () => {
    expect(tenants).toHaveLength(TENANTS);
    await Promise.all(
      tenants.map((owner) => PARALLEL(() => api.http.delete('/v1/apps/tiny').set(owner.auth).expect(202))),
    );
    const ids = tenants.map((owner) => owner.tenantId);
    await waitFor(
      'every tenant subnet to be freed',
      async () => {
        const [{ left }] = await db.query(
          `SELECT count(*)::int AS left FROM tenant_subnets WHERE tenant_id = ANY($1::uuid[])`,
          [ids],
        );
        return left === 0;
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
    for (const id of ids)
      expect(await engine.inspectNetwork({ name: tenantNetworkName(id) })).toBeUndefined();
  }, 300_000);

  it('hands out one subnet per (host, tenant) when two processes allocate at once; the table refuses overlaps', async () => {
    // Two processes without control loops: the first API's reconciler would release these networks, which
    // nothing uses, while the test looks at them. Its part is done, so it stops here.
    await api.close();
    apiClosed = true;
    const first = await startTestApi({ tenantSubnets: POOL, tenantSubnetPrefix: PREFIX });
    const second = await startTestApi({ tenantSubnets: POOL, tenantSubnetPrefix: PREFIX });
    try {
      const host = (await first.app.get(EnginePool).hosts()).find((h) => h.name === 'local')!;
      const ids = Array.from({ length: 12 }, () => crypto.randomUUID());
      // Each tenant's network is ensured by both processes at the same moment.
      await Promise.all(
        ids.flatMap((tenantId) =>
          [first, second].map((p) => p.app.get(TenantNetworks).ensure({ host, tenantId })),
        ),
      );
      const rows: { tenantId: string; subnet: string }[] = await db.query(
        `SELECT tenant_id AS "tenantId", subnet::text AS subnet FROM tenant_subnets WHERE tenant_id = ANY($1::uuid[])`,
        [ids],
      );
      expect(rows).toHaveLength(ids.length);
      expect(new Set(rows.map((row) => row.subnet)).size).toBe(ids.length);
      for (const row of rows) {
        expect(inPool(row.subnet)).toBe(true);
        const network = await engine.inspectNetwork({ name: tenantNetworkName(row.tenantId) });
        expect(network?.ipam.map((config) => config.subnet)).toEqual([row.subnet]);
      }

      // Whatever a caller did, PostgreSQL refuses an overlapping subnet (of any size) and a second row per pair.
      const insert = (tenantId: string, subnet: string) =>
        db.query(`INSERT INTO tenant_subnets (host_id, tenant_id, subnet) VALUES ($1, $2, $3)`, [
          host.id,
          tenantId,
          subnet,
        ]);
      const [taken] = rows;
      await expect(insert(crypto.randomUUID(), taken!.subnet.replace('/26', '/27'))).rejects.toMatchObject({
        code: '23P01',
      });
      await expect(insert(taken!.tenantId, '10.62.255.192/26')).rejects.toMatchObject({ code: '23505' });

      for (const tenantId of ids) {
        expect(await second.app.get(TenantNetworks).releaseUnused({ hosts: [host], tenantId })).toBe(1);
        expect(await engine.inspectNetwork({ name: tenantNetworkName(tenantId) })).toBeUndefined();
      }
    } finally {
      await first.close();
      await second.close();
    }
  }, 120_000);

  it('refuses to start with a pool that overlaps a Docker network of a host, or a malformed pool', async () => {
    // A refused start leaves no LISTEN session behind (it used to, and its reconnect timer fired later).
    const listenSessions = async () =>
      Number(
        (
          await db.query<{ n: string }[]>(
            `SELECT count(*) AS n FROM pg_stat_activity
             WHERE datname = current_database() AND application_name = 'berth-notifications'`,
          )
        )[0]!.n,
      );
    const sessionsBefore = await listenSessions();
    // The engine's default bridge (docker0) is not a tenant network: a pool over it must not start.
    const bridge = (await engine.inspectNetwork({ name: 'bridge' }))!.ipam[0]!.subnet;
    await expect(startTestApi({ tenantSubnets: bridge, tenantSubnetPrefix: 24 })).rejects.toThrow(
      `BERTH_TENANT_SUBNETS ${bridge} overlaps the Docker network bridge (${bridge}) on host`,
    );
    await expect(startTestApi({ tenantSubnets: '10.62.0.1/16' })).rejects.toThrow('host bits set');
    await expect(startTestApi({ tenantSubnets: POOL, tenantSubnetPrefix: 30 })).rejects.toThrow(
      'prefix length',
    );
    // A closed session leaves pg_stat_activity a moment after the client's goodbye.
    const deadline = Date.now() + 3000;
    while ((await listenSessions()) !== sessionsBefore && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await listenSessions()).toBe(sessionsBefore);
  }, 120_000);
});
