import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { expressApp, tarGz } from '../support/archives.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, testRunId } from '../support/docker.js';
import { buildLog, httpGet, uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';

/** A package.json whose preinstall runs `script` through npm's sh, and a start that would idle. */
function hostileApp(name: string, preinstall: string): Promise<Buffer> {
  return tarGz([
    {
      name: 'package.json',
      body: JSON.stringify({ name, version: '1.0.0', main: 'index.js', scripts: { preinstall } }),
    },
    { name: 'index.js', body: 'setInterval(() => {}, 1000);' },
  ]);
}

/** A dependency-free HTTP app: the other tenant's replica that must keep answering. */
function plainApp(body: string): Promise<Buffer> {
  return tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'plain', version: '1.0.0', main: 'server.js' }) },
    {
      name: 'server.js',
      body: `require('node:http').createServer((req, res) => res.end(${JSON.stringify(body)})).listen(process.env.PORT);`,
    },
  ]);
}

const ATTACKS = {
  forkbomb: { preinstall: 'f() { f | f & }; f', reason: /build reached its process limit \(256[;)]/ },
  memoryhog: {
    preinstall: `node -e "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))"`,
    reason: /build ran out of memory \(\d+ MB/,
  },
  diskfiller: {
    preinstall: `node -e "const fs = require('fs'); const b = Buffer.alloc(1 << 20, 1); for (;;) fs.appendFileSync('fill', b)"`,
    reason: /build wrote more than \d+ MB/,
  },
} as const;

/**
 * Issue #13 item 2 on real Docker, through the API: tenant code at build time (npm lifecycle scripts)
 * runs under replica containment. A fork bomb, a memory hog and a disk filler in preinstall each fail
 * their build with a clear reason, while another tenant's replica keeps answering and another tenant's
 * build (a real dependency from the npm registry) succeeds and runs.
 */
describe('build containment', () => {
  let api: TestApi;
  let attacker: Session;
  let bystander: Session;

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500, buildConcurrency: 4 });
    attacker = await signupOwner(api, 'attacker');
    bystander = await signupOwner(api, 'bystander');
    // Pro: four concurrent builds, so the three attacks run at once.
    await api.http.put('/v1/tenant/plan').set(attacker.auth).send({ planId: 'pro' }).expect(200);
    await api.http.put('/v1/tenant/plan').set(bystander.auth).send({ planId: 'hobby' }).expect(200);
  }, 120_000);

  afterAll(async () => {
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  it('fails a fork bomb, a memory hog and a disk filler with their reason; other tenants keep working', async () => {
    await api.http.post('/v1/apps').set(bystander.auth).send({ name: 'steady' }).expect(201);
    const steadyBuild = await uploadBuild(api, bystander, 'steady', await plainApp('still here'));
    expect((await waitForBuild(api, bystander, 'steady', steadyBuild, 120_000)).status).toBe('succeeded');
    const steady = await waitConverged(api, bystander, 'steady');
    const endpoint = steady.endpoints[0]!;

    let polling = true;
    const probe = { ok: 0, failures: [] as string[] };
    const poller = (async () => {
      while (polling) {
        try {
          const res = await httpGet(endpoint);
          if (res.status === 200 && res.text === 'still here') probe.ok += 1;
          else probe.failures.push(`${res.status} ${res.text.slice(0, 80)}`);
        } catch (error) {
          probe.failures.push((error as Error).message);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();

    try {
      const started = Date.now();
      const attacks = await Promise.all(
        Object.entries(ATTACKS).map(async ([name, attack]) => {
          await api.http.post('/v1/apps').set(attacker.auth).send({ name }).expect(201);
          const id = await uploadBuild(api, attacker, name, await hostileApp(name, attack.preinstall));
          return { name, id, reason: attack.reason };
        }),
      );
      await api.http.post('/v1/apps').set(bystander.auth).send({ name: 'web' }).expect(201);
      const goodBuild = await uploadBuild(api, bystander, 'web', await expressApp('built beside attacks'));

      for (const attack of attacks) {
        const build = await waitForBuild(api, attacker, attack.name, attack.id, 150_000);
        const log = await buildLog(api, attacker, attack.name, attack.id);
        const details = await api.http.get(`/v1/apps/${attack.name}/builds/${attack.id}`).set(attacker.auth);
        const seconds = (Date.parse(details.body.finishedAt) - Date.parse(details.body.startedAt)) / 1000;
        const peak = /at most (\d+) processes seen/.exec(log)?.[1] ?? '?';
        process.stdout.write(
          `[build containment] ${attack.name}: ${build.status} after ${seconds.toFixed(1)} s ` +
            `(${((Date.now() - started) / 1000).toFixed(1)} s since upload), at most ${peak} processes: ${build.error}\n`,
        );
        expect(build.status).toBe('failed');
        expect(build.error).toMatch(attack.reason);
        expect(log).toMatch(attack.reason);
      }

      const good = await waitForBuild(api, bystander, 'web', goodBuild, 180_000);
      expect({ status: good.status, error: good.error }).toEqual({ status: 'succeeded', error: null });
      const web = await waitConverged(api, bystander, 'web');
      expect(await httpGet(web.endpoints[0]!)).toEqual({ status: 200, text: 'built beside attacks' });
    } finally {
      polling = false;
      await poller;
    }
    process.stdout.write(
      `[build containment] other tenant's replica: ${probe.ok} answers, ${probe.failures.length} failures\n`,
    );
    expect(probe.failures).toEqual([]);
    expect(probe.ok).toBeGreaterThan(0);

    // Nothing of the builds is left on the host: their containers and volumes are gone.
    const engine = testEngine();
    const buildContainers = await engine.listContainers({ labels: { 'berth.role': 'build' }, all: true });
    expect(buildContainers.filter((c) => c.labels['berth.test-run'] === testRunId())).toEqual([]);
  }, 170_000);
});
