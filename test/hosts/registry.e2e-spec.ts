import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BERTH_KEYS, type BerthKeys } from '../../libs/config/index.js';
import {
  EngineError,
  RegistryClient,
  engineAuthFor,
  registryRef,
  repositoryInRegistry,
} from '../../libs/engine/index.js';
import { OPERATOR, login, signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { expressApp } from '../support/archives.js';
import {
  RUNTIME_IMAGE,
  cleanupTestRun,
  ensureRuntimeImage,
  testEngine,
  uniqueId,
  waitFor,
} from '../support/docker.js';
import { buildLog, httpGet, uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { startTestRegistry, type TestRegistry } from '../support/registry.js';
import { runNodeProbe } from '../engine/tenant-containers.js';
import { startPoolHosts, stopPoolHosts, unregisterHost, type PoolHosts } from './pool-hosts.js';

interface ContainerRow {
  state: string;
  host: { id: string; name: string };
}

/**
 * BERTH_REGISTRY on a real registry (Debian's docker-registry on loopback, `auth: token` with Berth as the
 * token service) and a real two-host pool: nothing is anonymous, the pull account cannot push, a build is
 * pushed and its release records the digest, a host that lacks the image pulls exactly that digest even
 * after another image was pushed under the same tag and no host has the original any more, and deleting
 * the app deletes it from the registry.
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
      registry: registry.settings,
    });
    // Docker clients that hold an account (not a token) are sent to Berth's token route: the API's own URL.
    await registry.restart({ realm: `${api.url}/v1/registry/token` });
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

  /** A token from Berth's token route, for `scope`, with the pull or the push account. */
  async function routeToken(kind: 'pull' | 'push', scope: string): Promise<string> {
    const account = api.app.get<BerthKeys>(BERTH_KEYS).registryCredentials[kind];
    const res = await api.http
      .get('/v1/registry/token')
      .query({ service: 'berth-registry', scope })
      .auth(account.username, account.password)
      .expect(200);
    return res.body.token as string;
  }

  const registryApi = (path: string, init: RequestInit = {}) =>
    fetch(`http://${registry!.address}/v2/${path}`, { ...init, signal: AbortSignal.timeout(10_000) });

  it('refuses anonymous access, and lets the pull account pull but never push', async () => {
    // Something to pull: the runtime image, pushed with the push account's token.
    const ref = `berth-registry-probe:${process.env.BERTH_TEST_RUN}`;
    const remote = registryRef(registry!.address, ref);
    const repository = repositoryInRegistry(remote);
    const local = testEngine();
    await local.tagImage({ ref: RUNTIME_IMAGE, target: remote });
    try {
      const pushToken = await routeToken('push', `repository:${repository}:pull,push`);
      await local.pushImage({ ref: remote, auth: { registryToken: pushToken } });
    } finally {
      await local.removeImage({ ref: remote });
    }
    const manifest = `${repository}/manifests/${ref.split(':')[1]}`;
    const accept = { Accept: 'application/vnd.docker.distribution.manifest.v2+json' };

    expect((await registryApi('')).status).toBe(401);
    const anonymous = await registryApi(manifest, { headers: accept });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('service="berth-registry"');
    expect((await registryApi(`${repository}/blobs/uploads/`, { method: 'POST' })).status).toBe(401);

    // The pull account asks for push too; its token grants pull only.
    const pullToken = await routeToken('pull', `repository:${repository}:pull,push`);
    const bearer = { Authorization: `Bearer ${pullToken}` };
    expect((await registryApi(manifest, { headers: { ...accept, ...bearer } })).status).toBe(200);
    expect(
      (await registryApi(`${repository}/blobs/uploads/`, { method: 'POST', headers: bearer })).status,
    ).toBe(401);
    // A real engine given that token cannot push either.
    await local.tagImage({ ref: RUNTIME_IMAGE, target: remote });
    try {
      const refused = await local
        .pushImage({ ref: remote, auth: { registryToken: pullToken } })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(EngineError);
      expect((refused as EngineError).message).toMatch(/denied|unauthorized|insufficient/i);
    } finally {
      await local.removeImage({ ref: remote });
    }
    // A real engine holding the accounts (not tokens) trades them for tokens at Berth's route itself.
    const accounts = api.app.get<BerthKeys>(BERTH_KEYS).registryCredentials;
    await local.tagImage({ ref: RUNTIME_IMAGE, target: remote });
    try {
      const refusedToPullAccount = await local
        .pushImage({ ref: remote, auth: accounts.pull })
        .catch((error: unknown) => error);
      expect(refusedToPullAccount).toBeInstanceOf(EngineError);
      expect((refusedToPullAccount as EngineError).message).toMatch(/denied|unauthorized|insufficient/i);
      expect((await local.pushImage({ ref: remote, auth: accounts.push })).digest).toMatch(/^sha256:/);
      await local.removeImage({ ref: remote });
      await local.pullImage({ ref: remote, auth: accounts.pull });
      expect((await local.inspectImage({ ref: remote }))?.id).toBe(
        (await local.inspectImage({ ref: RUNTIME_IMAGE }))?.id,
      );
    } finally {
      await local.removeImage({ ref: remote });
    }
    const wrongAccount = await local
      .pullImage({ ref: remote, auth: { username: 'berth-pull', password: 'guessed' } })
      .catch((error: unknown) => error);
    expect(wrongAccount).toBeInstanceOf(EngineError);

    // Neither account may delete: only the control plane signs delete tokens.
    const pushToken = await routeToken('push', `repository:${repository}:*`);
    const head = await registryApi(manifest, { method: 'HEAD', headers: { ...accept, ...bearer } });
    const digest = head.headers.get('docker-content-digest')!;
    const deletion = await registryApi(`${repository}/manifests/${digest}`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${pushToken}` },
    });
    expect(deletion.status).toBe(401);

    // The token route itself: problem+json without the right credentials.
    const wrong = await api.http
      .get('/v1/registry/token')
      .query({ service: 'berth-registry', scope: `repository:${repository}:pull` })
      .auth('berth-pull', 'not-the-password')
      .expect(401);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
    expect(wrong.headers['www-authenticate']).toMatch(/^Basic /);
    expect(wrong.body.code).toBe('unauthorized');
  }, 120_000);

  it("cannot be reached from a tenant network: not at the host's address on it, not on loopback", async () => {
    // The container's default gateway is the host's own address on the tenant bridge.
    const script = `
      const net = require('net');
      const route = require('fs').readFileSync('/proc/net/route', 'utf8').split('\\n').slice(1)
        .map((line) => line.trim().split(/\\s+/)).find((fields) => fields[1] === '00000000');
      const gateway = [6, 4, 2, 0].map((i) => parseInt(route[2].substr(i, 2), 16)).join('.');
      const attempt = (host) => new Promise((resolve) => {
        const socket = net.connect({ host, port: ${registry!.port} });
        socket.setTimeout(3000);
        socket.on('connect', () => { socket.destroy(); resolve('connected'); });
        socket.on('error', (error) => resolve(error.code));
        socket.on('timeout', () => { socket.destroy(); resolve('timeout'); });
      });
      Promise.all([attempt(gateway), attempt('127.0.0.1')])
        .then(([viaGateway, viaLoopback]) => console.log(JSON.stringify({ gateway, viaGateway, viaLoopback })));`;
    const { result } = await runNodeProbe<{ gateway: string; viaGateway: string; viaLoopback: string }>(
      testEngine(),
      { tenantId: uniqueId('regprobe'), script },
    );
    expect(result.gateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(result.viaGateway).not.toBe('connected');
    expect(result.viaLoopback).not.toBe('connected');
  }, 120_000);

  it('pushes each build, pins its digest, and a host pulls that digest even after the tag was re-pushed', async () => {
    const registryClient = new RegistryClient(registry!.settings, registry!.authorize);
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'pulled', replicas: 0 }).expect(201);
    const buildId = await uploadBuild(api, owner, 'pulled', await expressApp('pulled from the registry'));
    const build = await waitForBuild(api, owner, 'pulled', buildId);
    expect(build.status).toBe('succeeded');
    const log = await buildLog(api, owner, 'pulled', buildId);
    expect(log).toContain(`[berth] pushing the image to registry ${registry!.address}`);
    expect(log).toMatch(/\[berth\] pushed in \d+\.\d s as sha256:[a-f0-9]{64}/);
    const image = (await api.http.get(`/v1/apps/pulled/builds/${buildId}`).set(owner.auth).expect(200)).body
      .image as string;
    const [release] = (await api.http.get('/v1/apps/pulled/releases').set(owner.auth).expect(200)).body as {
      image: string;
      imageDigest: string;
    }[];
    expect(release!.image).toBe(image);
    expect(release!.imageDigest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(await registryClient.digestOf(image)).toBe(release!.imageDigest);
    // The build host keeps the image under its own name only: the registry name was for the push.
    const local = testEngine();
    const original = await local.inspectImage({ ref: image });
    expect(original?.tags).toEqual([image]);

    // Someone with push access re-points the tag at another image (the runtime image: it serves nothing).
    const remote = registryRef(registry!.address, image);
    await local.tagImage({ ref: RUNTIME_IMAGE, target: remote });
    try {
      const target = { address: registry!.address, authorize: registry!.authorize };
      const pushAuth = engineAuthFor(target, remote, ['pull', 'push']);
      await local.pushImage({ ref: remote, ...(pushAuth ? { auth: pushAuth } : {}) });
    } finally {
      await local.removeImage({ ref: remote });
    }
    const retagged = await registryClient.digestOf(image);
    expect(retagged).toMatch(/^sha256:/);
    expect(retagged).not.toBe(release!.imageDigest);

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
    // The original content runs, not what the tag names now.
    expect((await httpGet(state.endpoints[0]!)).text).toBe('pulled from the registry');
    // (Not the start-up ping's line: the registry restarts with the API's realm right after the API starts.)
    expect(api.logs()).toContain(`image ${image} reached host ${poolHostName} from the registry`);
    expect(api.logs()).not.toContain('without token auth');

    await api.http.delete('/v1/apps/pulled').set(owner.auth).expect(202);
    await waitFor('the image to leave the registry', async () => !(await registryClient.hasImage(image)), {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
  }, 600_000);
});
