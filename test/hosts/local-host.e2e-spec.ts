import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DockerEngine } from '../../libs/engine/index.js';
import { HostMonitor } from '../../libs/hosts/index.js';
import { OPERATOR, login, startTestApi, type TestApi } from '../support/api.js';
import { migratedDataSource } from '../support/database.js';
import { TEST_DOCKER_ENDPOINT, testRunId, waitFor } from '../support/docker.js';

/**
 * First start on an empty pool, which needs an empty `hosts` table: this file runs the API on a database
 * of its own (created here, dropped at the end), not the run's shared one.
 */
describe('first start: the local Docker Engine becomes host `local`', () => {
  const sharedUrl = process.env.DATABASE_URL!;
  const adminUrl = process.env.BERTH_TEST_ADMIN_DATABASE_URL!;
  const database = `berth_${testRunId()}_local_host`;
  let api: TestApi | undefined;

  const withAdmin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const listHosts = async (started: TestApi) => {
    const operator = await login(started, OPERATOR.email, OPERATOR.password);
    return (await started.http.get('/v1/admin/hosts').set(operator.auth).expect(200)).body;
  };

  beforeAll(async () => {
    await withAdmin(`CREATE DATABASE "${database}"`);
    const url = new URL(sharedUrl);
    url.pathname = `/${database}`;
    process.env.DATABASE_URL = url.toString();
  });

  afterAll(async () => {
    try {
      await api?.close();
    } finally {
      process.env.DATABASE_URL = sharedUrl;
      await withAdmin(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    }
  });

  it('starts without Docker: an engine that does not answer is a warning, and the pool stays empty', async () => {
    api = await startTestApi({ localDockerSocket: '/run/berth-no-such-docker.sock' });
    await api.http.get('/healthz').expect(200);
    expect(await listHosts(api)).toEqual([]);
    expect(api.logs()).toContain('no local host registered');
    expect(api.logs()).toContain('unix:///run/berth-no-such-docker.sock');
    await api.close();
    api = undefined;
  }, 30_000);

  it('registers the local engine as `local` on the first start that reaches it, and only once', async () => {
    const socket = new URL(TEST_DOCKER_ENDPOINT).pathname;
    const info = await new DockerEngine({ endpoint: TEST_DOCKER_ENDPOINT }).info();
    api = await startTestApi({ localDockerSocket: socket });
    const hosts = await listHosts(api);
    expect(hosts).toEqual([
      expect.objectContaining({
        name: 'local',
        endpoint: `unix://${socket}`,
        status: 'ready',
        tls: false,
        publicAddress: '127.0.0.1',
        engineVersion: info.engineVersion,
        memoryMb: info.memoryMb,
      }),
    ]);
    const db = await migratedDataSource();
    const audit = await db.query(`SELECT actor, action FROM audit_events WHERE target = $1`, [
      `host:${hosts[0].id}`,
    ]);
    await db.destroy();
    expect(audit).toEqual([{ actor: 'system', action: 'host.register' }]);
    await api.close();

    // Later starts leave the pool alone, even when the configured socket changed.
    api = await startTestApi({ localDockerSocket: '/run/berth-other.sock' });
    expect(await listHosts(api)).toEqual([expect.objectContaining({ id: hosts[0].id, name: 'local' })]);
    expect(api.logs()).not.toContain('no local host registered');
  }, 30_000);

  it('with runWorkers, the monitor probes on its own from bootstrap and stops with the app', async () => {
    await api?.close();
    api = await startTestApi({ runWorkers: true });
    const operator = await login(api, OPERATOR.email, OPERATOR.password);
    const [local] = await listHosts(api);
    const heartbeat = async () =>
      (await api!.http.get(`/v1/admin/hosts/${local.id}`).set(operator.auth).expect(200)).body
        .lastHeartbeatAt;
    const first = await waitFor('a heartbeat', heartbeat);
    await waitFor('the next heartbeat', async () => (await heartbeat()) !== first, { timeoutMs: 15_000 });
    const monitor = api.app.get(HostMonitor);
    await api.close();
    api = undefined;
    // Stopped: nothing is scheduled any more, so a second stop returns at once.
    await monitor.stop();
  }, 30_000);
});
