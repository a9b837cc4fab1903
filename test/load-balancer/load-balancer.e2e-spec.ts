import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { LABELS } from '../../libs/engine/index.js';
import { acceptsConnections } from '../../libs/runtime/index.js';
import { signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { migratedDataSource } from '../support/database.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, waitFor } from '../support/docker.js';
import { uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { ensureHaproxyImage, identityApp, report, reportReloads, startLoad } from './load.js';

interface AppBody {
  id: string;
  replicas: number;
  converged: boolean;
  endpoints: string[];
  loadBalancerEndpoint: string | null;
  release: { version: number } | null;
}

interface ContainerBody {
  id: string;
  role: string;
  state: string;
  containerId: string | null;
}

const LB_SETTINGS = { algorithm: 'roundrobin', healthCheckPath: '/healthz', healthCheckIntervalMs: 1000 };

/**
 * An app's load balancer through the API on a real Docker Engine: it spreads requests over every replica,
 * and 8 keep-alive clients hammering it see no failed request while the app scales 3 → 5 → 2, redeploys,
 * and loses a replica to SIGKILL. Removing it leaves nothing behind; a free plan cannot have one.
 */
describe('load balancers on real Docker', () => {
  let api: TestApi;
  let owner: Session;
  let db: DataSource;
  const engine = testEngine();

  beforeAll(async () => {
    await ensureRuntimeImage(engine);
    await ensureHaproxyImage(engine);
    db = await migratedDataSource();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    owner = await signupOwner(api, 'lb');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'hobby' }).expect(200);
  }, 300_000);

  afterAll(async () => {
    if (api) reportReloads(api.logs());
    await api?.close();
    await db?.destroy();
    await cleanupTestRun(engine);
  }, 120_000);

  const getApp = async (name: string): Promise<AppBody> =>
    (await api.http.get(`/v1/apps/${name}`).set(owner.auth).expect(200)).body as AppBody;
  const containers = async (name: string): Promise<ContainerBody[]> =>
    (await api.http.get(`/v1/apps/${name}/containers`).set(owner.auth).expect(200)).body as ContainerBody[];
  /** Converged, with `replicas` web replicas running and the balancer serving. */
  const settled = (name: string, replicas: number, version?: number) =>
    waitFor(
      `${name}: ${replicas} replicas behind the balancer`,
      async () => {
        await waitConverged(api, owner, name, 180_000);
        const app = await getApp(name);
        const ok =
          app.converged &&
          app.endpoints.length === replicas &&
          app.loadBalancerEndpoint !== null &&
          (version === undefined || app.release?.version === version);
        return ok ? app : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 500 },
    );
  /** Distinct bodies from `count` sequential requests through the balancer. */
  const identities = async (url: string, count: number): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let i = 0; i < count; i += 1) {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(200);
      seen.add(await res.text());
    }
    return seen;
  };

  it('refuses a load balancer on the free plan with 403 quota_exceeded', async () => {
    const free = await signupOwner(api, 'lb-free');
    await api.http.post('/v1/apps').set(free.auth).send({ name: 'cheap' }).expect(201);
    const res = await api.http.put('/v1/apps/cheap/load-balancer').set(free.auth).send(LB_SETTINGS);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('quota_exceeded');
    expect((await api.http.get('/v1/apps/cheap').set(free.auth).expect(200)).body.loadBalancer).toBeNull();
  });

  it('balances over every replica and reloads without a failed request through scale, redeploy and a kill', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'whoami', replicas: 3 }).expect(201);
    const v1 = await uploadBuild(api, owner, 'whoami', await identityApp('v1'));
    expect((await waitForBuild(api, owner, 'whoami', v1)).status).toBe('succeeded');
    await waitConverged(api, owner, 'whoami', 180_000);

    const put = await api.http
      .put('/v1/apps/whoami/load-balancer')
      .set(owner.auth)
      .send(LB_SETTINGS)
      .expect(202);
    expect(put.headers.location).toBe('/v1/apps/whoami/status');
    const app = await settled('whoami', 3);
    const lbUrl = `${app.loadBalancerEndpoint}/`;
    const appId = app.id;

    // One 'lb' container, hardened, running, with an open usage run of role 'lb'.
    const lb = (await containers('whoami')).filter((c) => c.role === 'lb');
    expect(lb).toEqual([expect.objectContaining({ role: 'lb', state: 'running' })]);
    const lbDetails = await engine.inspectContainer({ id: lb[0]!.containerId! });
    expect(lbDetails?.resources).toMatchObject({ user: '10002:10002', readOnlyRootfs: true });
    expect(lbDetails?.ports).toEqual([expect.objectContaining({ containerPort: 8080, hostIp: '127.0.0.1' })]);
    const openRuns = await db.query(
      `SELECT count(*)::int AS n FROM replica_runs WHERE app_id = $1 AND role = 'lb' AND stopped_at IS NULL`,
      [appId],
    );
    expect(openRuns[0].n).toBe(1);

    // Round robin over all three replicas.
    const spread = await identities(lbUrl, 30);
    process.stdout.write(`[lb] spread: 30 requests answered by ${spread.size} replicas\n`);
    expect(spread.size).toBe(3);

    // Scale 3 → 5 → 2 under load.
    let load = startLoad(lbUrl);
    await api.http.patch('/v1/apps/whoami').set(owner.auth).send({ replicas: 5 }).expect(202);
    await settled('whoami', 5);
    await waitFor('all five replicas to answer through the balancer', async () => {
      return (await identities(lbUrl, 20)).size === 5;
    });
    await api.http.patch('/v1/apps/whoami').set(owner.auth).send({ replicas: 2 }).expect(202);
    // The endpoint stays where it is: the balancer was reloaded, never replaced.
    expect((await settled('whoami', 2)).loadBalancerEndpoint).toBe(app.loadBalancerEndpoint);
    await waitFor('the removed replicas to be gone', async () =>
      (await containers('whoami')).every((c) => c.role === 'lb' || c.state === 'running'),
    );
    let result = await load.stop();
    report('scale 3 → 5 → 2', result);
    expect(result.failures).toEqual({});
    expect(result.ok).toBeGreaterThan(100);
    expect(Object.keys(result.bodies).length).toBeGreaterThanOrEqual(5);
    expect((await identities(lbUrl, 20)).size).toBe(2);

    // Redeploy (new build, rolling replacement) under load.
    load = startLoad(lbUrl);
    const v2 = await uploadBuild(api, owner, 'whoami', await identityApp('v2'));
    expect((await waitForBuild(api, owner, 'whoami', v2)).status).toBe('succeeded');
    await settled('whoami', 2, 2);
    await waitFor('only v2 to answer', async () =>
      [...(await identities(lbUrl, 10))].every((body) => body.endsWith(' v2')),
    );
    await waitFor('the v1 replicas to be gone', async () =>
      (await containers('whoami')).every((c) => c.role === 'lb' || c.state === 'running'),
    );
    result = await load.stop();
    report('redeploy v1 → v2', result);
    expect(result.failures).toEqual({});
    expect(Object.keys(result.bodies).some((body) => body.endsWith(' v1'))).toBe(true);
    expect(Object.keys(result.bodies).some((body) => body.endsWith(' v2'))).toBe(true);

    // A replica killed outright (SIGKILL through the engine): health checks and retries hide it.
    load = startLoad(lbUrl);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const victim = (await containers('whoami')).find((c) => c.role === 'web' && c.state === 'running')!;
    await engine.killContainer({ id: victim.containerId! });
    await waitFor(
      'the killed replica to be restarted and back behind the balancer',
      async () => {
        const all = await containers('whoami');
        const again = all.find((c) => c.id === victim.id);
        return again?.state === 'running' && (await getApp('whoami')).endpoints.length === 2;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    await settled('whoami', 2);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    result = await load.stop();
    report('kill -9 of one replica', result);
    expect(result.failures).toEqual({});
    expect(result.ok).toBeGreaterThan(100);

    // Removing the balancer leaves nothing behind.
    const lbContainerId = lb[0]!.containerId!;
    await api.http.delete('/v1/apps/whoami/load-balancer').set(owner.auth).expect(202);
    await waitFor(
      'the balancer to be removed',
      async () => {
        await waitConverged(api, owner, 'whoami');
        return (await getApp('whoami')).loadBalancerEndpoint === null;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect((await containers('whoami')).filter((c) => c.role === 'lb')).toEqual([]);
    expect(
      await engine.listContainers({ labels: { [LABELS.app]: appId, [LABELS.role]: 'lb' }, all: true }),
    ).toEqual([]);
    expect(await engine.inspectContainer({ id: lbContainerId })).toBeUndefined();
    const rows = await db.query(`SELECT state FROM replicas WHERE app_id = $1 AND role = 'lb'`, [appId]);
    expect(rows.map((r: { state: string }) => r.state)).toEqual(rows.map(() => 'gone'));
    const runs = await db.query(
      `SELECT count(*)::int AS total, count(stopped_at)::int AS closed FROM replica_runs WHERE app_id = $1 AND role = 'lb'`,
      [appId],
    );
    expect(runs[0].total).toBeGreaterThanOrEqual(1);
    expect(runs[0].closed).toBe(runs[0].total);
    const port = Number(new URL(lbUrl).port);
    expect(await acceptsConnections('127.0.0.1', port, 500)).toBe(false);
    // The app itself keeps serving on its replicas.
    const after = await getApp('whoami');
    expect(after.endpoints).toHaveLength(2);

    await api.http.delete('/v1/apps/whoami').set(owner.auth).expect(202);
  }, 1_200_000);

  it('removes the balancer with the app: stop, then delete', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'brief', replicas: 1 }).expect(201);
    const build = await uploadBuild(api, owner, 'brief', await identityApp('v1'));
    expect((await waitForBuild(api, owner, 'brief', build)).status).toBe('succeeded');
    await api.http.put('/v1/apps/brief/load-balancer').set(owner.auth).send({}).expect(202);
    const app = await settled('brief', 1);
    expect((await fetch(`${app.loadBalancerEndpoint}/`)).status).toBe(200);

    await api.http.post('/v1/apps/brief/stop').set(owner.auth).expect(202);
    await waitFor('the stopped app to have no balancer', async () => {
      await waitConverged(api, owner, 'brief');
      return (await getApp('brief')).loadBalancerEndpoint === null;
    });
    expect((await containers('brief')).filter((c) => c.role === 'lb')).toEqual([]);

    await api.http.post('/v1/apps/brief/start').set(owner.auth).expect(202);
    await settled('brief', 1);
    await api.http.delete('/v1/apps/brief').set(owner.auth).expect(202);
    await waitFor(
      'the deleted app to leave no container',
      async () => (await engine.listContainers({ labels: { [LABELS.app]: app.id }, all: true })).length === 0,
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const runs = await db.query(
      `SELECT count(*)::int AS open FROM replica_runs WHERE app_id = $1 AND stopped_at IS NULL`,
      [app.id],
    );
    expect(runs[0].open).toBe(0);
  }, 600_000);
});
