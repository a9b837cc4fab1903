import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { inviteUser, signupOwner, type ApiClient, type Session } from './support/api.js';
import { API_MAIN, BerthProcess } from './support/berth-process.js';
import { migratedDataSource } from './support/database.js';
import { cleanupTestRun, testRunId, waitFor } from './support/docker.js';

/**
 * Far longer than the test: a cached principal can only be dropped within REVOCATION_BOUND_MS by the
 * change notification, not by its age.
 */
const CACHE_MS = 120_000;
/** What the issue asks: a revocation acts on every API process within a second. */
const REVOCATION_BOUND_MS = 1000;

/**
 * Two built API processes on one database, each caching principals (PrincipalCache): a revoked key, a
 * lowered role and a suspended tenant are refused on the process that did not make the change within a
 * second, and at once on the one that did; what GET /v1/me shows from the cached principal (plan, email)
 * follows a change within a second too.
 */
describe('principals cached by API processes', () => {
  const runId = testRunId();
  const dataDir = path.resolve('.data/test-principal-cache', runId);
  const processes: BerthProcess[] = [];
  let db: DataSource;
  let apiA: ApiClient & { url: string };
  let apiB: ApiClient & { url: string };
  let owner: Session;
  let succeeded = 0;

  async function startApi(name: string): Promise<ApiClient & { url: string }> {
    const api = BerthProcess.start({
      name,
      main: API_MAIN,
      logDir: dataDir,
      env: {
        PATH: process.env.PATH,
        BERTH_TEST_RUN: runId,
        DATABASE_URL: process.env.DATABASE_URL,
        BERTH_MASTER_KEY: masterKey,
        BERTH_DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: '0',
        BERTH_RUN_WORKERS: 'false',
        BERTH_LOGIN_RATE_LIMIT: '10000',
        BERTH_PRINCIPAL_CACHE_MS: String(CACHE_MS),
      },
    });
    processes.push(api);
    const [, url] = await api.waitForStderr(/API listening on (http:\/\/\S+)/);
    return { url, http: request(url) };
  }
  const masterKey = crypto.randomBytes(32).toString('base64');

  /** Polls `api` until `auth` gets `status` on `route`; fails after REVOCATION_BOUND_MS. */
  async function refusedWithinBound(
    api: ApiClient,
    route: string,
    auth: Record<string, string>,
    status: number,
  ) {
    const started = Date.now();
    await waitFor(
      `${route} to answer ${status}`,
      async () => (await api.http.get(route).set(auth)).status === status,
      { timeoutMs: REVOCATION_BOUND_MS, intervalMs: 20 },
    );
    return Date.now() - started;
  }

  beforeAll(async () => {
    fs.mkdirSync(dataDir, { recursive: true });
    db = await migratedDataSource();
    [apiA, apiB] = await Promise.all([startApi('api-a'), startApi('api-b')]);
    owner = await signupOwner(apiA, 'principal-cache');
  }, 120_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await cleanupTestRun();
    await db?.destroy();
    if (succeeded === 5) await fs.promises.rm(dataDir, { recursive: true, force: true });
    else process.stderr.write(`[principal-cache] process logs kept in ${dataDir}\n`);
  }, 60_000);

  it('a key revoked on process A is refused on process B within a second, and on A at once', async () => {
    const created = await apiA.http
      .post('/v1/api-keys')
      .set(owner.auth)
      .send({ name: 'revoked', scopes: ['apps:read'] })
      .expect(201);
    const keyAuth = { Authorization: `Bearer ${created.body.secret}` };
    // Both processes now hold the key's principal.
    for (const api of [apiA, apiB]) {
      await api.http.get('/v1/apps').set(keyAuth).expect(200);
      await api.http.get('/v1/apps').set(keyAuth).expect(200);
    }
    await apiA.http.delete(`/v1/api-keys/${created.body.id}`).set(owner.auth).expect(204);
    await apiA.http.get('/v1/apps').set(keyAuth).expect(401);
    const tookMs = await refusedWithinBound(apiB, '/v1/apps', keyAuth, 401);
    process.stderr.write(`[principal-cache] revoked key refused on the other process after ${tookMs} ms\n`);
    succeeded++;
  });

  it('a role lowered on process B stops the user managing users on process A within a second', async () => {
    const admin = await inviteUser(apiA, owner, 'admin');
    await apiA.http.get('/v1/users').set(admin.auth).expect(200);
    await apiB.http.get('/v1/users').set(admin.auth).expect(200);
    await apiB.http.patch(`/v1/users/${admin.userId}`).set(owner.auth).send({ role: 'member' }).expect(200);
    await apiB.http.get('/v1/users').set(admin.auth).expect(403);
    await refusedWithinBound(apiA, '/v1/users', admin.auth, 403);
    succeeded++;
  });

  it('a tenant suspended in the database directly is refused on both processes within a second', async () => {
    const other = await signupOwner(apiA, 'suspended');
    await apiA.http.get('/v1/apps').set(other.auth).expect(200);
    await apiB.http.get('/v1/apps').set(other.auth).expect(200);
    await db.query(`UPDATE tenants SET status = 'suspended' WHERE id = $1`, [other.tenantId]);
    await Promise.all([
      refusedWithinBound(apiA, '/v1/apps', other.auth, 401),
      refusedWithinBound(apiB, '/v1/apps', other.auth, 401),
    ]);
    // The owner of the first tenant is not affected.
    await apiB.http.get('/v1/apps').set(owner.auth).expect(200);
    succeeded++;
  });

  it('a plan and an email changed in the database directly show in GET /v1/me on both processes within a second', async () => {
    const other = await signupOwner(apiA, 'account');
    for (const api of [apiA, apiB]) await api.http.get('/v1/me').set(other.auth).expect(200);
    const [plan] = (await db.query(
      `SELECT id FROM plans WHERE id <> (SELECT plan_id FROM tenants WHERE id = $1) ORDER BY id LIMIT 1`,
      [other.tenantId],
    )) as { id: string }[];
    const email = `renamed-${other.email}`;
    await db.query(`UPDATE tenants SET plan_id = $2 WHERE id = $1`, [other.tenantId, plan!.id]);
    await db.query(`UPDATE users SET email = $2 WHERE id = $1`, [other.userId, email]);
    await Promise.all(
      [apiA, apiB].map((api) =>
        waitFor(
          'GET /v1/me to show the new plan and email',
          async () => {
            const me = await api.http.get('/v1/me').set(other.auth).expect(200);
            return me.body.tenant.planId === plan!.id && me.body.user.email === email;
          },
          { timeoutMs: REVOCATION_BOUND_MS, intervalMs: 20 },
        ),
      ),
    );
    succeeded++;
  });

  it('process B does serve a cached principal: a revocation that sends no notification waits for its age', async () => {
    const created = await apiA.http
      .post('/v1/api-keys')
      .set(owner.auth)
      .send({ name: 'silent', scopes: ['apps:read'] })
      .expect(201);
    const keyAuth = { Authorization: `Bearer ${created.body.secret}` };
    await apiB.http.get('/v1/apps').set(keyAuth).expect(200);
    // With triggers off for this one transaction (a replica session), the revocation notifies nobody.
    await db.transaction(async (manager) => {
      await manager.query(`SET LOCAL session_replication_role = replica`);
      await manager.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1`, [created.body.id]);
    });
    await new Promise((resolve) => setTimeout(resolve, REVOCATION_BOUND_MS));
    await apiB.http.get('/v1/apps').set(keyAuth).expect(200);
    // A process that never saw the key reads the database and refuses it.
    await apiA.http.get('/v1/apps').set(keyAuth).expect(401);
    expect(succeeded).toBe(4);
    succeeded++;
  });
});
