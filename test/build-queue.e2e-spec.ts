import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BuildsRepository } from '../libs/builds/index.js';
import { migratedDataSource } from './support/database.js';
import { signupOwner, startTestApi, type Session, type TestApi } from './support/api.js';

/** The PostgreSQL build queue: claims are exclusive, per-tenant limits hold, a dead worker's build fails. */
describe('build queue', () => {
  let api: TestApi;
  let owner: Session;
  let appId: string;

  beforeAll(async () => {
    api = await startTestApi();
    owner = await signupOwner(api, 'queue');
    appId = (await api.http.post('/v1/apps').set(owner.auth).send({ name: 'queued' }).expect(201)).body.id;
  });
  afterAll(async () => {
    await api.close();
  });

  async function insertBuild(status: string, leaseSecondsFromNow?: number): Promise<string> {
    const db = await migratedDataSource();
    const [row] = await db.query(
      `INSERT INTO builds (app_id, tenant_id, status, source_key, source_sha256, source_bytes, timeout_seconds, memory_mb, cpu_millis,
                           lease_owner, lease_expires_at)
       VALUES ($1, $2, $3, 'sources/x', 'x', 1, 60, 128, 250, $4, now() + ($5 || ' seconds')::interval) RETURNING id`,
      [
        appId,
        owner.tenantId,
        status,
        leaseSecondsFromNow === undefined ? null : 'dead-worker',
        String(leaseSecondsFromNow ?? 0),
      ],
    );
    await db.destroy();
    return row.id;
  }

  it('fails a build whose worker stopped renewing its lease, with a reason the tenant can read', async () => {
    const stuck = await insertBuild('running', -5);
    const alive = await insertBuild('running', 60);
    const failed = await api.app.get(BuildsRepository).failAbandoned();
    expect(failed).toContain(stuck);
    expect(failed).not.toContain(alive);
    const res = await api.http.get(`/v1/apps/queued/builds/${stuck}`).set(owner.auth).expect(200);
    expect(res.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/worker stopped/) });
  });

  it('hands a queued build to exactly one of two competing workers, within the tenant limit', async () => {
    const db = await migratedDataSource();
    await db.query(`UPDATE builds SET status = 'failed' WHERE app_id = $1`, [appId]);
    // The queue is the run's whole database: builds other test files left queued (their API stopped
    // before running them) would be claimable too.
    await db.query(`UPDATE builds SET status = 'failed' WHERE status = 'queued'`);
    await db.destroy();
    const queued = await insertBuild('queued');
    const queue = api.app.get(BuildsRepository);
    const [a, b] = await Promise.all([queue.claimNext('worker-a'), queue.claimNext('worker-b')]);
    const claimed = [a, b].filter(Boolean);
    expect(claimed.map((build) => build!.id)).toEqual([queued]);
    // The free plan allows one concurrent build: a second queued build waits while the first runs.
    await insertBuild('queued');
    expect(await queue.claimNext('worker-c')).toBeUndefined();
  });
});
