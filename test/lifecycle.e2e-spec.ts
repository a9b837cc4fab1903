import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';
import { exitingApp, expressApp, tarGz } from './support/archives.js';
import { cleanupTestRun, ensureRuntimeImage, waitFor } from './support/docker.js';
import { buildLog, httpGet, uploadBuild, waitConverged, waitForBuild } from './support/lifecycle.js';

/**
 * The heart of Berth on a real Docker Engine: a real Express app (dependencies, no lockfile) is uploaded,
 * built with npm from the registry in a hardened build container, run, stopped, started, scaled, redeployed with the
 * dependency layer reused, rolled back; a crashing app is restarted with backoff.
 */
describe('app lifecycle on real Docker', () => {
  let api: TestApi;
  let owner: Session;

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    owner = await signupOwner(api, 'lifecycle');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'hobby' }).expect(200);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  it('uploads, builds, runs, stops, starts, scales, redeploys with the dependency layer cached, and rolls back', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'hello' }).expect(201);

    const first = await uploadBuild(api, owner, 'hello', await expressApp('hello v1'));
    const built = await waitForBuild(api, owner, 'hello', first);
    const firstLog = await buildLog(api, owner, 'hello', first);
    expect({ status: built.status, error: built.error }).toEqual({ status: 'succeeded', error: null });
    expect(firstLog).toMatch(/npm install/);
    expect(firstLog).toMatch(/release v1 created/);

    let state = await waitConverged(api, owner, 'hello');
    expect(state).toMatchObject({ phase: 'running', replicas: 1, release: { version: 1 } });
    expect(state.endpoints).toHaveLength(1);
    expect(await httpGet(state.endpoints[0])).toEqual({ status: 200, text: 'hello v1' });

    const containers = await api.http.get('/v1/apps/hello/containers').set(owner.auth).expect(200);
    expect(containers.body).toEqual([
      expect.objectContaining({ role: 'web', state: 'running', releaseVersion: 1, restarts: 0 }),
    ]);

    const stopped = await api.http.post('/v1/apps/hello/stop').set(owner.auth).expect(202);
    expect(stopped.headers.location).toBe('/v1/apps/hello/status');
    state = await waitConverged(api, owner, 'hello');
    expect(state).toMatchObject({ phase: 'stopped', endpoints: [] });

    await api.http.post('/v1/apps/hello/start').set(owner.auth).expect(202);
    state = await waitConverged(api, owner, 'hello');
    expect(state.phase).toBe('running');

    await api.http.patch('/v1/apps/hello').set(owner.auth).send({ replicas: 3 }).expect(202);
    state = await waitConverged(api, owner, 'hello');
    expect(state.endpoints).toHaveLength(3);
    for (const endpoint of state.endpoints) expect((await httpGet(endpoint)).text).toBe('hello v1');
    await api.http.patch('/v1/apps/hello').set(owner.auth).send({ replicas: 1 }).expect(202);
    state = await waitConverged(api, owner, 'hello');
    expect(state.endpoints).toHaveLength(1);

    // A code-only change: the dependency image is reused, and no request fails during the rollout.
    const failures: string[] = [];
    let served = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const current = await api.http.get('/v1/apps/hello').set(owner.auth);
        const endpoint = current.body.endpoints[0];
        if (endpoint) {
          try {
            const res = await httpGet(endpoint);
            if (res.status === 200) served += 1;
            else failures.push(`${endpoint}: ${res.status}`);
          } catch (err) {
            failures.push(`${endpoint}: ${(err as Error).message}`);
          }
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const second = await uploadBuild(api, owner, 'hello', await expressApp('hello v2'));
    expect((await waitForBuild(api, owner, 'hello', second)).status).toBe('succeeded');
    const secondLog = await buildLog(api, owner, 'hello', second);
    // Same package.json on the same host: the dependency image is reused, npm does not run again.
    expect(secondLog).toMatch(/dependencies unchanged since an earlier build on this host/);
    expect(secondLog).not.toMatch(/installing dependencies/);
    const seconds = async (id: string) => {
      const { body } = await api.http.get(`/v1/apps/hello/builds/${id}`).set(owner.auth).expect(200);
      return ((Date.parse(body.finishedAt) - Date.parse(body.startedAt)) / 1000).toFixed(1);
    };
    process.stdout.write(
      `[lifecycle] build with npm ${await seconds(first)} s, with dependencies reused ${await seconds(second)} s\n`,
    );
    await waitFor(
      'v2 to serve',
      async () => {
        const current = await waitConverged(api, owner, 'hello');
        return current.release?.version === 2 && (await httpGet(current.endpoints[0])).text === 'hello v2';
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    polling = false;
    await poller;
    process.stdout.write(`[lifecycle] redeploy: ${served} requests served, ${failures.length} failed\n`);
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(0);

    const releases = await api.http.get('/v1/apps/hello/releases').set(owner.auth).expect(200);
    expect(releases.body.map((r: { version: number; current: boolean }) => [r.version, r.current])).toEqual([
      [2, true],
      [1, false],
    ]);
    await api.http.post('/v1/apps/hello/releases/1/rollback').set(owner.auth).expect(202);
    state = await waitConverged(api, owner, 'hello');
    expect(state.release?.version).toBe(3);
    expect((await httpGet(state.endpoints[0])).text).toBe('hello v1');
  }, 600_000);

  it('restarts an app that exits, with backoff, and shows the crash loop with its exit code', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'crasher' }).expect(201);
    const build = await uploadBuild(api, owner, 'crasher', await exitingApp(3, 300));
    expect((await waitForBuild(api, owner, 'crasher', build)).status).toBe('succeeded');
    const looping = await waitFor(
      'crash loop',
      async () => {
        const res = await api.http.get('/v1/apps/crasher/status').set(owner.auth);
        return res.body.phase === 'crashloop' ? res.body : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    expect(looping.statusReason).toMatch(/exited with code 3/);
    const containers = await api.http.get('/v1/apps/crasher/containers').set(owner.auth).expect(200);
    const replica = containers.body.find(
      (c: { role: string; state: string }) => c.role === 'web' && c.state !== 'gone',
    );
    expect(replica.restarts).toBeGreaterThanOrEqual(3);
    expect(replica.exitCode).toBe(3);
    expect(replica.oomKilled).toBe(false);
    await api.http.delete('/v1/apps/crasher').set(owner.auth).expect(202);
  }, 300_000);

  it.each([
    ['a path escaping the root', [{ name: '../evil.js', body: 'x' }], 422, 'unsafe_path'],
    [
      'a symlink to /etc/passwd',
      [
        { name: 'package.json', body: '{"main":"a.js"}' },
        { name: 'a.js', type: 'symlink' as const, linkname: '/etc/passwd' },
      ],
      422,
      'unsafe_link',
    ],
    ['no package.json', [{ name: 'index.js', body: 'x' }], 422, 'no_package_json'],
    ['no way to start', [{ name: 'package.json', body: '{"name":"x"}' }], 422, 'no_start_command'],
  ])('refuses an archive with %s before storing anything', async (_what, entries, status, code) => {
    await ensureApp('hostile');
    const res = await api.http
      .post('/v1/apps/hostile/builds')
      .set(owner.auth)
      .set('Content-Type', 'application/gzip')
      .send(await tarGz(entries));
    expect(res.status).toBe(status);
    expect(res.body.code).toBe(code);
    const builds = await api.http.get('/v1/apps/hostile/builds').set(owner.auth).expect(200);
    expect(builds.body).toEqual([]);
  });

  it('refuses an upload over the plan size with 413', async () => {
    await ensureApp('hostile');
    const res = await api.http
      .post('/v1/apps/hostile/builds')
      .set(owner.auth)
      .set('Content-Type', 'application/gzip')
      .send(Buffer.alloc(26 * 1024 * 1024, 1));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('upload_too_large');
  });

  async function ensureApp(name: string): Promise<void> {
    const res = await api.http.post('/v1/apps').set(owner.auth).send({ name });
    expect([201, 409]).toContain(res.status);
  }
});
