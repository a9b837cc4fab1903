import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { LOCK_KEYS } from '../libs/control-loop/index.js';
import { tickerApp } from './logs/log-apps.js';
import { StreamClient, wsUrl } from './logs/stream-client.js';
import { PASSWORD, signupOwner, uniqueEmail, type ApiClient, type Session } from './support/api.js';
import { API_MAIN, BerthProcess, WORKER_MAIN } from './support/berth-process.js';
import { migratedDataSource } from './support/database.js';
import { cleanupTestRun, ensureRuntimeImage, testRunId, waitFor } from './support/docker.js';
import { uploadBuild, waitConverged, waitForBuild } from './support/lifecycle.js';

/** Long enough (the ticks and the full resyncs) that only a notification can explain a convergence within PROMPT_MS. */
const RECONCILE_INTERVAL_MS = 60_000;
const PROMPT_MS = 20_000;

/**
 * The control plane as an operator deploys it on one PostgreSQL: two API processes (no loops) and two
 * workers, all built (`dist/`) and spawned. A change made on one API process reaches the leading worker at
 * once (LISTEN/NOTIFY), the per-tenant stream limit and the address login backoff hold across API
 * processes, and when the leading worker is killed its loops go to the other.
 */
describe('several API and worker processes on one database', () => {
  const runId = testRunId();
  const dataDir = path.resolve('.data/test-multi-process', runId);
  const processes: BerthProcess[] = [];
  let db: DataSource;
  let api1: ApiClient & { url: string };
  let api2: ApiClient & { url: string };
  let worker1: BerthProcess;
  let owner: Session;
  let succeeded = 0;

  /** The application_name each process's connections carry, so the test can tell who holds a lock. */
  const databaseUrl = (name: string) => {
    const url = new URL(process.env.DATABASE_URL!);
    url.searchParams.set('application_name', `berth-mp-${name}`);
    return url.toString();
  };
  const masterKey = crypto.randomBytes(32).toString('base64');

  function start(name: string, main: string, extra: NodeJS.ProcessEnv = {}): BerthProcess {
    const started = BerthProcess.start({
      name,
      main,
      logDir: dataDir,
      env: {
        PATH: process.env.PATH,
        BERTH_TEST_RUN: runId, // labels every container the processes make
        DATABASE_URL: databaseUrl(name),
        // Shared by every process, as a deployment shares them: keys, and the blob store builds read.
        BERTH_MASTER_KEY: masterKey,
        BERTH_DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: '0',
        BERTH_RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
        BERTH_RECONCILE_RESYNC_MS: String(RECONCILE_INTERVAL_MS),
        BERTH_LOG_STREAMS_PER_TENANT: '1',
        BERTH_LOGIN_RATE_LIMIT: '10000',
        BERTH_HEAVY_READ_BURST: '10000',
        BERTH_DRAIN_DELAY_MS: '0',
        ...extra,
      },
    });
    processes.push(started);
    return started;
  }

  async function startApi(name: string): Promise<ApiClient & { url: string }> {
    const api = start(name, API_MAIN, { BERTH_RUN_WORKERS: 'false' });
    const [, url] = await api.waitForStderr(/API listening on (http:\/\/\S+)/);
    return { url, http: request(url) };
  }

  /** The application_name of the session holding a loop's advisory lock in this database, if any. */
  async function lockHolder(lockKey: number): Promise<string | undefined> {
    const [row] = (await db.query(
      `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1::bigint::oid
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [lockKey],
    )) as { name: string }[];
    return row?.name;
  }

  beforeAll(async () => {
    fs.mkdirSync(dataDir, { recursive: true });
    await ensureRuntimeImage();
    db = await migratedDataSource();
    api1 = await startApi('api-1');
    api2 = await startApi('api-2');
    worker1 = start('worker-1', WORKER_MAIN);
    await worker1.waitForStderr(/control loops running/);
    // worker-1 leads before worker-2 starts.
    await waitFor('worker-1 to lead the reconciler', async () =>
      (await lockHolder(LOCK_KEYS.reconciler)) === 'berth-mp-worker-1' ? true : undefined,
    );
    await start('worker-2', WORKER_MAIN).waitForStderr(/control loops running/);
    owner = await signupOwner(api1, 'multi-process');
  }, 180_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await cleanupTestRun();
    await db?.destroy();
    // The processes' logs stay for reading when something failed.
    if (succeeded === 4) await fs.promises.rm(dataDir, { recursive: true, force: true });
    else process.stderr.write(`[multi-process] process logs kept in ${dataDir}\n`);
  }, 120_000);

  it('a change made on one API process converges at once, not at the next reconcile interval', async () => {
    await api1.http.post('/v1/apps').set(owner.auth).send({ name: 'mp' }).expect(201);
    const build = await uploadBuild(api1, owner, 'mp', await tickerApp());
    expect(await waitForBuild(api2, owner, 'mp', build)).toMatchObject({ status: 'succeeded' });
    expect(await waitConverged(api2, owner, 'mp', PROMPT_MS)).toMatchObject({
      phase: 'running',
      replicas: 1,
    });

    await api1.http.patch('/v1/apps/mp').set(owner.auth).send({ replicas: 2 }).expect(202);
    const scaled = await waitConverged(api2, owner, 'mp', PROMPT_MS);
    expect(scaled).toMatchObject({ phase: 'running', replicas: 2 });
    expect(scaled.endpoints).toHaveLength(2);
    succeeded += 1;
  }, 300_000);

  it("holds a tenant's log stream limit across API processes, and frees it when the stream closes", async () => {
    const open = (api: { url: string }) =>
      StreamClient.open(wsUrl(api.url, '/v1/apps/mp/log-stream'), {
        headers: { Authorization: `Bearer ${owner.token}` },
      });
    const first = open(api1);
    await first.connected();
    // The stream on api-1 follows containers the worker made.
    await first.until('a line from the app', () =>
      first.lines().find((line) => line.text.startsWith('tick')),
    );
    const refused = open(api2);
    expect(await refused.closed).toEqual({ code: 4429, reason: 'stream_limit_reached' });

    await first.close();
    const again = await waitFor(
      'the slot to be free on api-2',
      async () => {
        const attempt = open(api2);
        const outcome = await Promise.race([
          attempt.connected().then(() => 'connected' as const),
          attempt.closed.then(({ code }) => code),
        ]);
        if (outcome === 'connected') return attempt;
        expect(outcome).toBe(4429);
        return undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    await again.close();
    succeeded += 1;
  });

  it('counts failed logins of an address on one API process against it on the other', async () => {
    // A documentation address (RFC 5737) as the client, through the trusted loopback proxy header.
    const address = `198.51.100.${crypto.randomInt(1, 255)}`;
    const unknown = uniqueEmail('nobody');
    const failures = await Promise.all(
      Array.from({ length: 14 }, () =>
        api1.http
          .post('/v1/auth/login')
          .set('X-Forwarded-For', address)
          .send({ email: unknown, password: 'not the password' }),
      ),
    );
    expect(failures.filter((res) => res.status === 401).length).toBeGreaterThan(10);

    const refused = await api2.http
      .post('/v1/auth/login')
      .set('X-Forwarded-For', address)
      .send({ email: owner.email, password: PASSWORD })
      .expect(401);
    expect(refused.body.code).toBe('unauthorized');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // The account itself is fine: the same login from another address goes through.
    await api2.http
      .post('/v1/auth/login')
      .set('X-Forwarded-For', `198.51.100.${(Number(address.split('.')[3]) % 254) + 1}`)
      .send({ email: owner.email, password: PASSWORD })
      .expect(200);
    succeeded += 1;
  });

  it("hands a killed leader's loops to the other worker", async () => {
    const killedAt = Date.now();
    await worker1.kill(); // SIGKILL: no unlock, no goodbye; its sessions end with its sockets
    const takeover = waitFor(
      'worker-2 to lead the reconciler',
      async () => ((await lockHolder(LOCK_KEYS.reconciler)) === 'berth-mp-worker-2' ? Date.now() : undefined),
      { timeoutMs: PROMPT_MS, intervalMs: 50 },
    );
    await api2.http.patch('/v1/apps/mp').set(owner.auth).send({ replicas: 1 }).expect(202);
    // A figure for the docs, not a check: how long the loops had no leader.
    process.stderr.write(
      `[multi-process] reconciler lock taken over ${(await takeover) - killedAt} ms after SIGKILL\n`,
    );
    const state = await waitConverged(api1, owner, 'mp', PROMPT_MS);
    expect(state).toMatchObject({ phase: 'running', replicas: 1 });
    expect(state.endpoints).toHaveLength(1);
    for (const lock of [LOCK_KEYS.reconciler, LOCK_KEYS.meter, LOCK_KEYS.hostMonitor]) {
      await waitFor(`worker-2 to hold lock ${lock}`, async () =>
        (await lockHolder(lock)) === 'berth-mp-worker-2' ? true : undefined,
      );
    }
    succeeded += 1;
  }, 120_000);
});
