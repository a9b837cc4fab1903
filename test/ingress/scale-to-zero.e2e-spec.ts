import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defaultHostname } from '../../libs/ingress/index.js';
import { OPERATOR, login, signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { tarGz } from '../support/archives.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, waitFor } from '../support/docker.js';
import { getWithHost } from '../support/host-request.js';
import { uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { ensureHaproxyImage } from '../load-balancer/load.js';
import { freePort } from '../support/ports.js';

/** An app without dependencies (a fast build): GET / answers its container's name, POST /echo its body. */
function echoApp(): Promise<Buffer> {
  return tarGz([
    {
      name: 'package.json',
      body: JSON.stringify({ name: 'sleepy', version: '1.0.0', scripts: { start: 'node server.js' } }),
    },
    {
      name: 'server.js',
      body: `const http = require('http');
const id = process.env.HOSTNAME;
const server = http.createServer((req, res) => {
  if (req.method === 'POST') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => res.end('echo ' + Buffer.concat(chunks).toString()));
    return;
  }
  res.end(id);
});
server.listen(process.env.PORT, () => console.log('listening as ' + id));
process.on('SIGTERM', () => process.exit(0));
`,
    },
  ]);
}

/** POST `body` with a Host header of our choosing, to 127.0.0.1 only. */
function postWithHost(url: string, host: string, body: string): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  if (target.hostname !== '127.0.0.1') throw new Error('requests go only to 127.0.0.1');
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL('/echo', target),
      { method: 'POST', headers: { host, 'content-type': 'text/plain' }, timeout: 40_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

interface AppBody {
  phase: string;
  sleep: { afterIdleSeconds: number; sleepingSince: string | null; lastRequestAt: string | null } | null;
}

/**
 * Scale to zero on real Docker through the edge router: an app idle for its afterIdleSeconds sleeps (no
 * container runs), and its next requests, GETs and a POST with a body, sent at once, all succeed: the
 * router sends them to the waker, which starts the app and forwards each once a replica answers.
 */
describe('scale to zero', () => {
  let api: TestApi;
  let owner: Session;
  let routerUrl: string;
  let hostname: string;
  let awakePlan: string;
  const engine = testEngine();
  const saved = { ...process.env };

  beforeAll(async () => {
    await ensureRuntimeImage(engine);
    await ensureHaproxyImage(engine);
    const httpPort = await freePort();
    routerUrl = `http://127.0.0.1:${httpPort}/`;
    process.env.BERTH_INGRESS_HTTP_PORT = String(httpPort);
    process.env.BERTH_INGRESS_SYNC_MS = '300';
    api = await startTestApi({
      runWorkers: true,
      reconcileIntervalMs: 500,
      sleepMinIdleSeconds: 3,
      sleepCheckIntervalMs: 500,
    });
    const operator = await login(api, OPERATOR.email, OPERATOR.password);
    const plan = (id: string, scaleToZero: boolean) => ({
      id,
      name: id,
      memoryMb: 128,
      cpuMillis: 500,
      maxApps: 3,
      maxReplicasPerApp: 2,
      maxTotalMemoryMb: 1024,
      loadBalancerAllowed: false,
      maxUploadMb: 5,
      buildTimeoutSeconds: 300,
      concurrentBuilds: 1,
      scaleToZero,
    });
    const suffix = Date.now().toString(36);
    awakePlan = `awake-${suffix}`;
    await api.http
      .post('/v1/admin/plans')
      .set(operator.auth)
      .send(plan(`sleeps-${suffix}`, true))
      .expect(201);
    await api.http
      .post('/v1/admin/plans')
      .set(operator.auth)
      .send(plan(`awake-${suffix}`, false))
      .expect(201);
    owner = await signupOwner(api, 'sleepy');
    await api.http
      .put('/v1/tenant/plan')
      .set(owner.auth)
      .send({ planId: `sleeps-${suffix}` })
      .expect(200);
    const rival = await signupOwner(api, 'sleepless');
    await api.http
      .put('/v1/tenant/plan')
      .set(rival.auth)
      .send({ planId: `awake-${suffix}` })
      .expect(200);
    await api.http.post('/v1/apps').set(rival.auth).send({ name: 'insomniac' }).expect(201);
    const refused = await api.http
      .put('/v1/apps/insomniac/sleep')
      .set(rival.auth)
      .send({ afterIdleSeconds: 300 })
      .expect(403);
    expect(refused.body.code).toBe('plan_forbids_sleep');

    const me = await api.http.get('/v1/me').set(owner.auth).expect(200);
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'sleepy' }).expect(201);
    hostname = defaultHostname({
      appName: 'sleepy',
      tenantId: owner.tenantId,
      tenantName: me.body.tenant.name as string,
      appsDomain: 'localhost',
    });
    const buildId = await uploadBuild(api, owner, 'sleepy', await echoApp());
    expect((await waitForBuild(api, owner, 'sleepy', buildId)).status).toBe('succeeded');
    await waitConverged(api, owner, 'sleepy');
  }, 300_000);

  afterAll(async () => {
    process.env = saved;
    await api?.close();
    await cleanupTestRun(engine);
  }, 120_000);

  const app = async (): Promise<AppBody> =>
    (await api.http.get('/v1/apps/sleepy').set(owner.auth).expect(200)).body as AppBody;
  const runningContainers = async (): Promise<number> =>
    (
      (await api.http.get('/v1/apps/sleepy/containers').set(owner.auth).expect(200)).body as {
        state: string;
      }[]
    ).filter((c) => c.state !== 'gone').length;

  it('refuses an idle time below the platform minimum, and a non-integer, keeping the app as it was', async () => {
    for (const afterIdleSeconds of [2, 1.5, 'soon']) {
      const res = await api.http.put('/v1/apps/sleepy/sleep').set(owner.auth).send({ afterIdleSeconds });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await app()).sleep).toBeNull();
  });

  it('puts an idle app to sleep, and wakes it for the requests that arrive while it sleeps', async () => {
    const answer = await waitFor(
      'the app to answer through the router',
      async () => {
        const res = await getWithHost(routerUrl, hostname, { timeoutMs: 3000 }).catch(() => undefined);
        return res?.status === 200 ? res : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    expect(answer.text).toMatch(/^[0-9a-f]{12}$/);

    const set = await api.http
      .put('/v1/apps/sleepy/sleep')
      .set(owner.auth)
      .send({ afterIdleSeconds: 3 })
      .expect(202);
    expect(set.body.sleep).toMatchObject({ afterIdleSeconds: 3, sleepingSince: null });

    const asleepAt = Date.now();
    const asleep = await waitFor(
      'the app to sleep',
      async () => {
        const body = await app();
        return body.phase === 'sleeping' && (await runningContainers()) === 0 ? body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    expect(asleep.sleep?.sleepingSince).not.toBeNull();
    // The request above was counted: the app slept only after it had been idle that long.
    expect(asleep.sleep?.lastRequestAt).not.toBeNull();
    process.stdout.write(
      `[scale to zero] idle 3 s: slept ${Date.parse(asleep.sleep!.sleepingSince!) - asleepAt} ms after the setting, ` +
        `its container gone ${Date.now() - asleepAt} ms after\n`,
    );

    const started = Date.now();
    const [gets, post] = await Promise.all([
      Promise.all(Array.from({ length: 6 }, () => getWithHost(routerUrl, hostname, { timeoutMs: 40_000 }))),
      postWithHost(routerUrl, hostname, 'a body held while the app woke'),
    ]);
    const wakeMs = Date.now() - started;
    expect(gets.map((res) => res.status)).toEqual([200, 200, 200, 200, 200, 200]);
    for (const res of gets) expect(res.text).toMatch(/^[0-9a-f]{12}$/);
    expect(post).toEqual({ status: 200, text: 'echo a body held while the app woke' });
    process.stdout.write(`[scale to zero] 7 requests to the sleeping app answered in ${wakeMs} ms\n`);

    const awake = await waitConverged(api, owner, 'sleepy');
    expect(awake.phase).toBe('running');
    const events = (await api.http.get('/v1/events').set(owner.auth).query({ app: 'sleepy' }).expect(200))
      .body.events as { type: string }[];
    const types = events.map((e) => e.type);
    expect(types).toContain('app.slept');
    expect(types).toContain('app.woke');
  }, 180_000);

  it('keeps the app awake once sleep is removed', async () => {
    const res = await api.http.delete('/v1/apps/sleepy/sleep').set(owner.auth).expect(202);
    expect(res.body.sleep).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 5000)); // longer than the old idle time
    expect((await app()).phase).not.toBe('sleeping');
    expect(await runningContainers()).toBe(1);
  }, 60_000);

  const sleepsAgain = async (): Promise<void> => {
    await api.http.put('/v1/apps/sleepy/sleep').set(owner.auth).send({ afterIdleSeconds: 3 }).expect(202);
    await waitFor(
      'the app to sleep again',
      async () => (await app()).phase === 'sleeping' && (await runningContainers()) === 0,
      { timeoutMs: 60_000, intervalMs: 300 },
    );
  };

  it('holds at most 200 requests of one sleeping app: a flood of 260 gets 200 answers and 60 quick 503s', async () => {
    await sleepsAgain();
    const flood = await Promise.all(
      Array.from({ length: 260 }, () =>
        getWithHost(routerUrl, hostname, { timeoutMs: 40_000 }).catch((error: Error) => ({
          status: 0,
          text: error.message,
          headers: {} as http.IncomingHttpHeaders,
        })),
      ),
    );
    const ok = flood.filter((res) => res.status === 200).length;
    const refused = flood.filter((res) => res.status === 503);
    process.stdout.write(
      `[scale to zero] flood of 260 requests while asleep: ${ok} answered, ${refused.length} 503\n`,
    );
    expect(ok + refused.length).toBe(260);
    // Every request held is answered; those beyond the cap (all sent while it wakes) are refused at once.
    expect(ok).toBeGreaterThanOrEqual(200);
    expect(refused.length).toBeGreaterThan(0);
    for (const res of refused) expect(res.headers['retry-after']).toBe('1');
  }, 120_000);

  it('wakes a sleeping app whose tenant moves to a plan without scale to zero', async () => {
    await sleepsAgain();
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: awakePlan }).expect(200);
    await waitFor('the app to wake', async () => (await app()).phase === 'running', {
      timeoutMs: 60_000,
      intervalMs: 300,
    });
    expect(await runningContainers()).toBe(1);
    const res = await getWithHost(routerUrl, hostname, { timeoutMs: 10_000 });
    expect(res.status).toBe(200);
  }, 120_000);
});
