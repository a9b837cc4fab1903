import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { routerContainerName, defaultHostname } from '../../libs/ingress/index.js';
import { signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, waitFor } from '../support/docker.js';
import { getWithHost } from '../support/host-request.js';
import { uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { ensureHaproxyImage, identityApp, report, startLoad } from '../load-balancer/load.js';
import { freePort } from '../support/ports.js';

interface ContainerBody {
  id: string;
  role: string;
  state: string;
  containerId: string | null;
}

/**
 * The edge router on real Docker: one hardened HAProxy container on the host's network, routing by Host
 * to an app's replicas at its default hostname; 404 for an unknown host, 503 for a stopped app; 8
 * keep-alive clients through it see no failed request while the app scales 3 → 5 → 2, redeploys and loses
 * a replica to SIGKILL, every change reaching the router as a reload.
 */
describe('edge router on real Docker', () => {
  let api: TestApi;
  let owner: Session;
  let routerUrl: string;
  let httpPort: number;
  const engine = testEngine();
  const saved = { ...process.env };

  beforeAll(async () => {
    await ensureRuntimeImage(engine);
    await ensureHaproxyImage(engine);
    httpPort = await freePort();
    routerUrl = `http://127.0.0.1:${httpPort}/`;
    process.env.BERTH_INGRESS_HTTP_PORT = String(httpPort);
    process.env.BERTH_INGRESS_SYNC_MS = '300';
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    owner = await signupOwner(api, 'ingress');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'hobby' }).expect(200);
  }, 300_000);

  afterAll(async () => {
    process.env = saved;
    await api?.close();
    await cleanupTestRun(engine);
  }, 120_000);

  const containers = async (name: string): Promise<ContainerBody[]> =>
    (await api.http.get(`/v1/apps/${name}/containers`).set(owner.auth).expect(200)).body as ContainerBody[];
  const endpoints = async (name: string): Promise<number> =>
    ((await api.http.get(`/v1/apps/${name}`).set(owner.auth).expect(200)).body.endpoints as string[]).length;
  /** Distinct bodies of `count` sequential requests through the router (each must be 200). */
  const identities = async (host: string, count: number): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let i = 0; i < count; i += 1) {
      const res = await getWithHost(routerUrl, host, { timeoutMs: 5000 });
      if (res.status !== 200)
        throw new Error(`HTTP ${res.status} through the router: ${res.text.slice(0, 80)}`);
      seen.add(res.text);
    }
    return seen;
  };

  it('answers an unknown host with a 404 page from a hardened router container', async () => {
    const res = await waitFor(
      'the router to listen',
      async () => getWithHost(routerUrl, 'nobody.localhost', { timeoutMs: 2000 }).catch(() => undefined),
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(res.status).toBe(404);
    expect(res.text).toContain('404 Not Found');
    const router = await engine.inspectContainer({ id: routerContainerName(httpPort) });
    expect(router?.running).toBe(true);
    expect(router?.resources).toMatchObject({ user: '10002:10002', readOnlyRootfs: true });
    expect(router?.labels['berth.role']).toBe('router');
  });

  it('routes the default hostname to the replicas with zero failed requests through scale, redeploy and a kill', async () => {
    const me = await api.http.get('/v1/me').set(owner.auth).expect(200);
    const host = defaultHostname({
      appName: 'hello',
      tenantId: owner.tenantId,
      tenantName: me.body.tenant.name as string,
      appsDomain: 'localhost',
    });
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'hello', replicas: 3 }).expect(201);
    const v1 = await uploadBuild(api, owner, 'hello', await identityApp('v1'));
    expect((await waitForBuild(api, owner, 'hello', v1)).status).toBe('succeeded');
    await waitConverged(api, owner, 'hello', 180_000);
    await waitFor(
      'the three replicas to answer through the router',
      async () => ((await identities(host, 30).catch(() => new Set())).size === 3 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // The app's GET shows its public URL.
    const shown = await api.http.get('/v1/apps/hello').set(owner.auth).expect(200);
    expect(shown.body.urls).toEqual([`http://${host}:${httpPort}/`]);
    // The Host header's port and case do not matter.
    const upper = await getWithHost(routerUrl, `${host.toUpperCase()}:${httpPort}`);
    expect(upper.status).toBe(200);
    // Each request carries a router-made id, which the client gets back.
    expect(upper.headers['x-request-id']).toMatch(/^[0-9A-F]{8}/);

    // Scale 3 → 5 → 2 under load.
    let load = startLoad(routerUrl, { hostHeader: host });
    await api.http.patch('/v1/apps/hello').set(owner.auth).send({ replicas: 5 }).expect(202);
    await waitConverged(api, owner, 'hello', 180_000);
    await waitFor(
      'all five replicas to answer through the router',
      async () => ((await identities(host, 25)).size === 5 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await api.http.patch('/v1/apps/hello').set(owner.auth).send({ replicas: 2 }).expect(202);
    await waitConverged(api, owner, 'hello', 180_000);
    await waitFor(
      'the removed replicas to be gone',
      async () => ((await containers('hello')).every((c) => c.state === 'running') ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    let result = await load.stop();
    report('router: scale 3 → 5 → 2', result);
    expect(result.failures).toEqual({});
    expect(result.ok).toBeGreaterThan(100);
    expect(Object.keys(result.bodies).length).toBeGreaterThanOrEqual(5);
    expect((await identities(host, 20)).size).toBe(2);

    // Redeploy (rolling replacement) under load.
    load = startLoad(routerUrl, { hostHeader: host });
    const v2 = await uploadBuild(api, owner, 'hello', await identityApp('v2'));
    expect((await waitForBuild(api, owner, 'hello', v2)).status).toBe('succeeded');
    await waitFor(
      'only v2 to answer through the router',
      async () => {
        await waitConverged(api, owner, 'hello', 180_000);
        return [...(await identities(host, 10))].every((body) => body.endsWith(' v2')) ? true : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
    await waitFor(
      'the v1 replicas to be gone',
      async () => ((await containers('hello')).every((c) => c.state === 'running') ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    result = await load.stop();
    report('router: redeploy v1 → v2', result);
    expect(result.failures).toEqual({});
    expect(Object.keys(result.bodies).some((body) => body.endsWith(' v1'))).toBe(true);
    expect(Object.keys(result.bodies).some((body) => body.endsWith(' v2'))).toBe(true);

    // A replica killed outright: the router's health checks and retries hide it.
    load = startLoad(routerUrl, { hostHeader: host });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const victim = (await containers('hello')).find((c) => c.state === 'running')!;
    await engine.killContainer({ id: victim.containerId! });
    await waitFor(
      'the killed replica to be back',
      async () => {
        const again = (await containers('hello')).find((c) => c.id === victim.id);
        return again?.state === 'running' && (await endpoints('hello')) === 2 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    result = await load.stop();
    report('router: kill -9 of one replica', result);
    expect(result.failures).toEqual({});
    expect(result.ok).toBeGreaterThan(100);

    // A router reload alone (another app appears, so the configuration changes) under load.
    load = startLoad(routerUrl, { hostHeader: host });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'extra' }).expect(201);
    const extraHost = defaultHostname({
      appName: 'extra',
      tenantId: owner.tenantId,
      tenantName: me.body.tenant.name as string,
      appsDomain: 'localhost',
    });
    // Known to the router once reloaded: no release yet, so no server: 503 rather than 404.
    await waitFor(
      'the router to reload with the new app',
      async () => (await getWithHost(routerUrl, extraHost)).status === 503,
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    result = await load.stop();
    report('router: reload of the router itself', result);
    expect(result.failures).toEqual({});
    expect(result.ok).toBeGreaterThan(50);

    // A stopped app answers 503 with a page; the unknown host still 404.
    await api.http.post('/v1/apps/hello/stop').set(owner.auth).expect(202);
    const stopped = await waitFor(
      'the stopped app to answer 503',
      async () => {
        const res = await getWithHost(routerUrl, host);
        return res.status === 503 ? res : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(stopped.text).toContain('503 Service Unavailable');
    expect((await getWithHost(routerUrl, 'nobody.localhost')).status).toBe(404);
    await api.http.delete('/v1/apps/hello').set(owner.auth).expect(202);
  }, 1_200_000);
});
