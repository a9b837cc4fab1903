import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseRegistrySetting } from '../../libs/config/index.js';
import { RegistryClient } from '../../libs/engine/index.js';
import { OPERATOR, login, signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { expressApp } from '../support/archives.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, waitFor } from '../support/docker.js';
import { buildLog, httpGet, uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { startTestRegistry, type TestRegistry } from '../support/registry.js';
import { startPoolHosts, stopPoolHosts, unregisterHost, type PoolHosts } from './pool-hosts.js';

interface ContainerRow {
  state: string;
  host: { id: string; name: string };
}

/**
 * BERTH_REGISTRY on a real registry (Debian's docker-registry on loopback) and a real two-host pool:
 * a build is pushed, a host that lacks the image pulls it even when no host has it any more, and
 * deleting the app deletes it from the registry.
 */
describe('images through a configured registry', () => {
  let registry: TestRegistry | undefined;
  let pool: PoolHosts | undefined;
  let api: TestApi;
  let operator: Session;
  let owner: Session;
  let localHostId: string;
  let poolHostId: string | undefined;
  const poolHostName = `registry-pool-${process.env.BERTH_TEST_RUN}`;

  beforeAll(async () => {
    await ensureRuntimeImage();
    registry = await startTestRegistry();
    pool = await startPoolHosts(1);
    api = await startTestApi({
      runWorkers: true,
      reconcileIntervalMs: 500,
      registry: parseRegistrySetting(registry.address),
    });
    operator = await login(api, OPERATOR.email, OPERATOR.password);
    // The extra host has no outbound network: it only runs replicas, builds stay on the local engine.
    const res = await api.http
      .post('/v1/admin/hosts')
      .set(operator.auth)
      .send({ name: poolHostName, endpoint: pool.endpoints[0], labels: { builds: 'false' } })
      .expect(201);
    poolHostId = res.body.id;
    const hosts = (await api.http.get('/v1/admin/hosts').set(operator.auth).expect(200)).body as {
      id: string;
      name: string;
    }[];
    localHostId = hosts.find((h) => h.name === 'local')!.id;
    owner = await signupOwner(api, 'registry');
  }, 300_000);

  afterAll(async () => {
    try {
      if (api && operator) {
        await api.http.post(`/v1/admin/hosts/${localHostId}/uncordon`).set(operator.auth);
        if (poolHostId) {
          await api.http.delete('/v1/apps/pulled').set(owner.auth);
          await waitFor(
            'the app to be deleted',
            async () => (await api.http.get('/v1/apps/pulled').set(owner.auth)).status === 404,
            { timeoutMs: 120_000, intervalMs: 500 },
          ).catch(() => undefined);
          await unregisterHost(api, operator, poolHostId);
        }
      }
      await api?.close();
      await cleanupTestRun();
    } finally {
      await stopPoolHosts(pool);
      await registry?.purge();
    }
  }, 300_000);

  it('pushes each build, lets a host pull a release no host has any more, and deletes it with the app', async () => {
    const registryClient = new RegistryClient(parseRegistrySetting(registry!.address)!);
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'pulled', replicas: 0 }).expect(201);
    const buildId = await uploadBuild(api, owner, 'pulled', await expressApp('pulled from the registry'));
    const build = await waitForBuild(api, owner, 'pulled', buildId);
    expect(build.status).toBe('succeeded');
    const log = await buildLog(api, owner, 'pulled', buildId);
    expect(log).toContain(`[berth] pushing the image to registry ${registry!.address}`);
    expect(log).toMatch(/\[berth\] pushed in \d+\.\d s/);
    const image = (await api.http.get(`/v1/apps/pulled/builds/${buildId}`).set(owner.auth).expect(200)).body
      .image as string;
    expect(await registryClient.hasImage(image)).toBe(true);
    // The build host keeps the image under its own name only: the registry name was for the push.
    const local = testEngine();
    expect((await local.inspectImage({ ref: image }))?.tags).toEqual([image]);

    // The build host loses the image and takes no new replicas: only the registry can deliver it now.
    await local.removeImage({ ref: image, force: true });
    await api.http.post(`/v1/admin/hosts/${localHostId}/cordon`).set(operator.auth).expect(200);
    await api.http.patch('/v1/apps/pulled').set(owner.auth).send({ replicas: 1 }).expect(202);
    const state = await waitConverged(api, owner, 'pulled', 180_000);
    const rows = (await api.http.get('/v1/apps/pulled/containers').set(owner.auth).expect(200)).body.filter(
      (c: ContainerRow) => c.state !== 'gone',
    ) as ContainerRow[];
    expect(rows.map((r) => r.host.name)).toEqual([poolHostName]);
    expect(state.endpoints).toHaveLength(1);
    expect((await httpGet(state.endpoints[0]!)).text).toBe('pulled from the registry');
    expect(api.logs()).toContain(`images move through registry ${registry!.address}`);
    expect(api.logs()).toContain(`image ${image} reached host ${poolHostName} from the registry`);

    await api.http.delete('/v1/apps/pulled').set(owner.auth).expect(202);
    await waitFor('the image to leave the registry', async () => !(await registryClient.hasImage(image)), {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
  }, 600_000);
});
