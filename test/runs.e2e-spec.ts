import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hardenedContainerSpec } from '../libs/engine/index.js';
import { UsageMeter } from '../libs/metering/index.js';
import { RunSweeper } from '../libs/runs/index.js';
import {
  OPERATOR,
  PASSWORD,
  login,
  signupOwner,
  startTestApi,
  type Session,
  type TestApi,
} from './support/api.js';
import { runCli } from './cli/cli-process.js';
import { tarGz } from './support/archives.js';
import { migratedDataSource } from './support/database.js';
import { RUNTIME_IMAGE, cleanupTestRun, ensureRuntimeImage, testEngine, waitFor } from './support/docker.js';
import { httpGet, uploadBuild, waitConverged, waitForBuild } from './support/lifecycle.js';
import { StreamClient, wsUrl } from './logs/stream-client.js';

/** 64 MB containers, 128 MB in all: the app's one replica plus one run fit, a second run does not. */
const PLAN = {
  name: 'Runs',
  memoryMb: 64,
  cpuMillis: 250,
  maxApps: 2,
  maxReplicasPerApp: 2,
  maxTotalMemoryMb: 128,
  loadBalancerAllowed: false,
  maxUploadMb: 1,
  buildTimeoutSeconds: 120,
  concurrentBuilds: 1,
};

/** An app answering `answer`; with a release command in package.json when `release` is given. */
const tinyApp = (answer = 'tiny', release?: string) =>
  tarGz([
    {
      name: 'package.json',
      body: JSON.stringify({
        name: 'tiny',
        version: '1.0.0',
        main: 'index.js',
        ...(release === undefined ? {} : { scripts: { 'berth:release': release } }),
      }),
    },
    {
      name: 'index.js',
      body: `require('http').createServer((q, s) => s.end(${JSON.stringify(answer)})).listen(process.env.PORT);`,
    },
    {
      name: 'task.js',
      body: "console.log('task ran in', process.cwd()); process.exit(Number(process.argv[2]));",
    },
  ]);

interface RunBody {
  id: string;
  state: string;
  exitCode: number | null;
  reason: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  outputTail?: { seq: number; stream: string; text: string }[];
}

const ENDED = ['succeeded', 'failed', 'timed_out', 'stopped', 'error'];

describe('one-off runs', () => {
  let api: TestApi;
  let owner: Session;
  const planId = `runs-${Date.now().toString(36)}`;

  const startRun = (body: Record<string, unknown>) =>
    api.http.post('/v1/apps/web/runs').set(owner.auth).send(body);
  const runOf = async (id: string): Promise<RunBody> =>
    (await api.http.get(`/v1/apps/web/runs/${id}`).set(owner.auth).expect(200)).body as RunBody;
  const waitEnded = (id: string): Promise<RunBody> =>
    waitFor(
      `run ${id} to end`,
      async () => {
        const run = await runOf(id);
        return ENDED.includes(run.state) && run.finishedAt ? run : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 300 },
    );

  beforeAll(async () => {
    await ensureRuntimeImage();
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    const operator = await login(api, OPERATOR.email, OPERATOR.password);
    await api.http
      .post('/v1/admin/plans')
      .set(operator.auth)
      .send({ id: planId, ...PLAN })
      .expect(201);
    owner = await signupOwner(api, 'runs');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId }).expect(200);
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'web' }).expect(201);
    const build = await uploadBuild(api, owner, 'web', await tinyApp());
    expect((await waitForBuild(api, owner, 'web', build)).status).toBe('succeeded');
    await waitConverged(api, owner, 'web');
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await cleanupTestRun();
  }, 120_000);

  it('streams its output over the WebSocket and reports exit code 0, as tenant code under containment', async () => {
    const res = await startRun({
      command:
        'node task.js 0; node -e "console.log(process.getuid())"; touch /app/x 2>/dev/null || echo read-only root; echo to-stderr >&2',
    });
    expect(res.status).toBe(202);
    expect(res.headers.location).toBe(`/v1/apps/web/runs/${res.body.id}`);
    const client = StreamClient.open(wsUrl(api.url, `/v1/apps/web/runs/${res.body.id}/log-stream`), {
      headers: owner.auth,
    });
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    const texts = client.lines().map((l) => l.text);
    // Each stream keeps its order; Docker gives no order between stdout and stderr (two pipes).
    const of = (stream: string) =>
      client
        .lines()
        .filter((l) => l.stream === stream)
        .map((l) => l.text);
    expect(of('stdout')).toEqual(['task ran in /app', '10001', 'read-only root']);
    expect(of('stderr')).toEqual(['to-stderr']);
    expect(texts).toHaveLength(4);
    expect(client.messages.at(-1)).toMatchObject({ type: 'end', status: 'succeeded', exitCode: 0 });

    const run = await waitEnded(res.body.id);
    expect(run).toMatchObject({ state: 'succeeded', exitCode: 0 });
    expect(run.outputTail!.map((l) => l.text)).toEqual(texts);
    const page = await api.http
      .get(`/v1/apps/web/runs/${run.id}/output?after=1&limit=2`)
      .set(owner.auth)
      .expect(200);
    expect(page.body).toMatchObject({ state: 'succeeded', nextCursor: 3 });
    expect(page.body.lines.map((l: { text: string }) => l.text)).toEqual(texts.slice(1, 3));
  }, 120_000);

  it('reports a non-zero exit code', async () => {
    const res = await startRun({ command: ['node', 'task.js', '3'] }).expect(202);
    const run = await waitEnded(res.body.id);
    expect(run).toMatchObject({ state: 'failed', exitCode: 3, reason: 'exited with code 3' });
    expect(run.outputTail!.map((l) => l.text)).toEqual(['task ran in /app']);
  }, 120_000);

  it('berth run prints the output and exits with the command’s exit code', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-run-cli-'));
    try {
      const env = { PATH: process.env.PATH, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config') };
      const loggedIn = await runCli(['login', '--api', api.url, '-e', owner.email], {
        ...env,
        BERTH_PASSWORD: PASSWORD,
      });
      expect(loggedIn.code).toBe(0);
      const failed = await runCli(['run', 'web', '--', 'node', 'task.js', '5'], env);
      expect(failed).toMatchObject({ code: 5, stdout: 'task ran in /app\n' });
      const shell = await runCli(['run', 'web', '--', 'sh', '-c', 'echo out; echo err >&2'], env);
      expect(shell).toMatchObject({ code: 0, stdout: 'out\n', stderr: 'err\n' });
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  }, 120_000);

  it('kills a run at its time limit and says so', async () => {
    const res = await startRun({
      command: ['node', '-e', 'setTimeout(() => {}, 120000)'],
      timeoutSeconds: 2,
    }).expect(202);
    const run = await waitEnded(res.body.id);
    expect(run.state).toBe('timed_out');
    expect(run.reason).toBe('killed after 2 s (time limit)');
  }, 120_000);

  it('counts a running run in the memory quota, and a stopped one no more', async () => {
    const first = await startRun({ command: ['node', '-e', 'setTimeout(() => {}, 120000)'] }).expect(202);
    // The replica (64 MB) and this run (64 MB) fill the 128 MB cap.
    const refused = await startRun({ command: 'true' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({
      code: 'quota_exceeded',
      quota: 'maxTotalMemoryMb',
      limit: 128,
      current: 128,
      requested: 64,
    });
    const quota = await api.http.get('/v1/tenant/quota').set(owner.auth).expect(200);
    expect(quota.body.usage).toMatchObject({ containers: 2, totalMemoryMb: 128 });

    await waitFor(
      'the run to start',
      async () => (await runOf(first.body.id)).state === 'running' || undefined,
    );
    const stopped = await api.http.delete(`/v1/apps/web/runs/${first.body.id}`).set(owner.auth).expect(200);
    expect(stopped.body.state).toBe('stopped');
    const ended = await waitEnded(first.body.id);
    expect(ended.state).toBe('stopped');
    const next = await startRun({ command: 'true' }).expect(202);
    expect((await waitEnded(next.body.id)).state).toBe('succeeded');
  }, 120_000);

  it('lists runs newest first and refuses bad commands', async () => {
    const page = await api.http.get('/v1/apps/web/runs?limit=2').set(owner.auth).expect(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.nextCursor).toBe(page.body.items[1].id);
    const older = await api.http
      .get(`/v1/apps/web/runs?limit=100&cursor=${page.body.nextCursor}`)
      .set(owner.auth)
      .expect(200);
    expect(older.body.items.length).toBeGreaterThanOrEqual(3);
    for (const command of [[], '', ['a\0b'], 42]) {
      const res = await startRun({ command });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('validation_failed');
    }
  });

  const appAnswer = async (): Promise<string> => {
    const status = await api.http.get('/v1/apps/web/status').set(owner.auth).expect(200);
    return (await httpGet(status.body.endpoints[0] as string)).text;
  };
  const releaseRuns = async (): Promise<RunBody[]> => {
    const page = await api.http.get('/v1/apps/web/runs?limit=100').set(owner.auth).expect(200);
    return (page.body.items as (RunBody & { purpose: string })[]).filter((r) => r.purpose === 'release');
  };

  it('keeps the old release serving when the release command fails, and shows its output', async () => {
    expect(await appAnswer()).toBe('tiny');
    const build = await uploadBuild(api, owner, 'web', await tinyApp('v2', 'echo migrating v2; exit 4'));
    expect((await waitForBuild(api, owner, 'web', build)).status).toBe('succeeded');
    const status = await waitFor(
      'the release phase to fail',
      async () => {
        const res = await api.http.get('/v1/apps/web/status').set(owner.auth).expect(200);
        return res.body.phase === 'failed' ? res.body : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(status.statusReason).toBe('release command of v2 failed: exited with code 4');
    expect(await appAnswer()).toBe('tiny');
    const [run] = await releaseRuns();
    expect(run).toMatchObject({ state: 'failed', exitCode: 4 });
    expect((await runOf(run!.id)).outputTail!.map((l) => l.text)).toContain('migrating v2');
    const releases = await api.http.get('/v1/apps/web/releases').set(owner.auth).expect(200);
    const v2 = (releases.body as { version: number; releasePhase: string; releaseRunId: string }[]).find(
      (r) => r.version === 2,
    );
    expect(v2).toMatchObject({ releasePhase: 'failed', releaseRunId: run!.id });
    // Still the old release a while later: the failed release never rolls out.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await appAnswer()).toBe('tiny');
  }, 300_000);

  it('rolls a release out once its release command passed; a command set through the API wins', async () => {
    const none = await api.http.get('/v1/apps/web/release-command').set(owner.auth).expect(200);
    expect(none.body).toEqual({ command: null });
    const set = await api.http
      .put('/v1/apps/web/release-command')
      .set(owner.auth)
      .send({ command: 'echo migrated v3 by the api command' })
      .expect(200);
    expect(set.body).toEqual({ command: ['sh', '-c', 'echo migrated v3 by the api command'] });
    const build = await uploadBuild(api, owner, 'web', await tinyApp('v3', 'echo from package.json'));
    expect((await waitForBuild(api, owner, 'web', build)).status).toBe('succeeded');
    const state = await waitConverged(api, owner, 'web', 120_000);
    expect(state.release?.version).toBe(3);
    expect(await appAnswer()).toBe('v3');
    const [run] = await releaseRuns();
    expect(run).toMatchObject({ state: 'succeeded', exitCode: 0 });
    expect((await runOf(run!.id)).outputTail!.map((l) => l.text)).toEqual(['migrated v3 by the api command']);
    const cleared = await api.http.delete('/v1/apps/web/release-command').set(owner.auth).expect(200);
    expect(cleared.body).toEqual({ command: null });
  }, 300_000);

  it('ends runs whose supervising process died, with the exit Docker saw, and kills lost ones past their limit', async () => {
    const db = await migratedDataSource();
    try {
      const [app] = await db.query(
        `SELECT a.id, a.current_release_id AS "releaseId", r.version FROM apps a
           JOIN releases r ON r.id = a.current_release_id WHERE a.tenant_id = $1 AND a.name = 'web'`,
        [owner.tenantId],
      );
      const [host] = await db.query(`SELECT id FROM hosts ORDER BY name LIMIT 1`);
      const engine = testEngine();
      // Containers as a process that then died would have left them: one exits 7, one outlives its 1 s limit.
      const orphan = async (script: string, timeoutSeconds: number) => {
        const runId = crypto.randomUUID();
        const { id } = await engine.createContainer(
          hardenedContainerSpec({
            tenantId: owner.tenantId,
            appId: app.id,
            appName: 'web',
            releaseVersion: app.version,
            role: 'run',
            instance: runId,
            image: RUNTIME_IMAGE,
            cmd: ['node', '-e', script],
            env: {},
            plan: { memoryMb: 64, cpuMillis: 250 },
            extraLabels: { 'berth.run': runId },
          }),
        );
        await engine.startContainer({ id });
        const startedAt = (await engine.inspectContainer({ id }))!.startedAt!;
        await db.query(
          `INSERT INTO one_off_runs (id, tenant_id, app_id, release_id, release_version, purpose, command, state,
                  timeout_seconds, host_id, container_id, memory_mb, cpu_millis, plan_id, created_by, created_at, started_at)
           VALUES ($1, $2, $3, $4, $5, 'run', $6, 'running', $7, $8, $9, 64, 250, $10, 'test', $11, $11)`,
          [
            runId,
            owner.tenantId,
            app.id,
            app.releaseId,
            app.version,
            JSON.stringify(['node', '-e', script]),
            timeoutSeconds,
            host.id,
            id,
            planId,
            startedAt,
          ],
        );
        return { runId, containerId: id };
      };
      const exited = await orphan('process.exit(7)', 600);
      const stuck = await orphan('setTimeout(() => {}, 120000)', 1);
      await engine.waitContainer({ id: exited.containerId });
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const sweeper = api.app.get(RunSweeper);
      await sweeper.sweep({ lostAfterMs: 0 });
      expect(await runOf(exited.runId)).toMatchObject({
        state: 'failed',
        exitCode: 7,
        reason: 'exited with code 7',
      });
      expect(await engine.inspectContainer({ id: exited.containerId })).toBeUndefined();
      await engine.waitContainer({ id: stuck.containerId });
      await sweeper.sweep({ lostAfterMs: 0 });
      expect(await runOf(stuck.runId)).toMatchObject({
        state: 'timed_out',
        reason: 'killed after 1 s (time limit)',
      });
    } finally {
      await db.destroy();
    }
  }, 60_000);

  it('meters each run as usage of kind run', async () => {
    const runs = (await api.http.get('/v1/apps/web/runs?limit=100').set(owner.auth).expect(200)).body
      .items as RunBody[];
    // A window closes 30 s after its end; the newest run's window ends within 60 s from now: metering as
    // of 3 minutes from now closes every window any of these runs touched.
    await api.app.get(UsageMeter).meterUntil(new Date(Date.now() + 180_000));
    const usage = await api.http.get('/v1/usage?kind=run&limit=500').set(owner.auth).expect(200);
    const records = usage.body.records as {
      subjectId: string;
      kind: string;
      seconds: string;
      memoryMb: number;
    }[];
    const started = runs.filter((r) => r.startedAt !== null);
    expect(started.length).toBeGreaterThanOrEqual(11);
    let metered = 0;
    for (const run of started) {
      const own = records.filter((r) => r.subjectId === run.id);
      // Records hold the whole milliseconds of Docker's start → finish (a run shorter than 1 ms has none); the
      // API's timestamps went through a float once, hence 1 ms of slack.
      const ranMs = Date.parse(run.finishedAt!) - Date.parse(run.startedAt!);
      const meteredMs = own.reduce((sum, r) => sum + Math.round(Number(r.seconds) * 1000), 0);
      expect({ run: run.id, withinOneMs: Math.abs(meteredMs - ranMs) <= 1 }).toEqual({
        run: run.id,
        withinOneMs: true,
      });
      expect(own.every((r) => r.kind === 'run' && r.memoryMb === 64)).toBe(true);
      if (own.length > 0) metered += 1;
    }
    expect(metered).toBeGreaterThanOrEqual(9);
  }, 60_000);
});
