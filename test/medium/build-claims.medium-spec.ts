import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { BuildsRepository } from '../../libs/builds/index.js';
import { migratedDataSource } from '../support/database.js';
import { newTenant, queuedBuildInput, resetRuntimeTables } from './support/runtime-process.js';

/**
 * The build queue's claim under concurrency, on real PostgreSQL: two workers (each with its own connection
 * pool, as two processes) never get the same build, a tenant never runs more builds than its plan allows,
 * and a tenant at its limit does not hold back another tenant's builds.
 */
describe('build claims (medium)', () => {
  let dbA: DataSource;
  let dbB: DataSource;
  let workerA: BuildsRepository;
  let workerB: BuildsRepository;

  beforeAll(async () => {
    // One after the other: two migrators of a fresh database would race.
    dbA = await migratedDataSource();
    dbB = await migratedDataSource();
    workerA = new BuildsRepository(dbA);
    workerB = new BuildsRepository(dbB);
  });
  afterAll(async () => {
    await Promise.all([dbA.destroy(), dbB.destroy()]);
  });
  beforeEach(async () => {
    await resetRuntimeTables(dbA);
  });

  async function queue(tenantId: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    // One after another: the queue is served oldest first.
    for (let i = 0; i < count; i += 1) {
      const build = await dbA.transaction((manager) =>
        workerA.insertQueued(manager, queuedBuildInput(tenantId, i)),
      );
      ids.push(build.id);
    }
    return ids;
  }

  /** `loops` claim loops per worker, each claiming until the queue has nothing for it. */
  async function drain(loops: number): Promise<{ buildId: string; worker: string }[]> {
    const claims: { buildId: string; worker: string }[] = [];
    const loop = async (repository: BuildsRepository, worker: string) => {
      for (;;) {
        const build = await repository.claimNext(worker);
        if (!build) return;
        claims.push({ buildId: build.id, worker });
      }
    };
    await Promise.all(
      Array.from({ length: loops }, (_, i) => [loop(workerA, `a${i}`), loop(workerB, `b${i}`)]).flat(),
    );
    return claims;
  }

  it('hands every build to exactly one worker, within each tenant plan', async () => {
    const tenants = await Promise.all(Array.from({ length: 6 }, () => newTenant(dbA, 'business')));
    // The business plan runs 8 builds at once: every build here can be claimed.
    const queued = (await Promise.all(tenants.map((t) => queue(t.tenantId!, 8)))).flat();

    const claims = await drain(4);

    expect(claims.map((c) => c.buildId).sort()).toEqual([...queued].sort());
    const rows: { id: string; leaseOwner: string; attempts: number; status: string }[] = await dbA.query(
      `SELECT id, lease_owner AS "leaseOwner", attempts, status FROM builds`,
    );
    for (const row of rows) {
      expect(row).toEqual({
        id: row.id,
        leaseOwner: claims.find((c) => c.buildId === row.id)!.worker,
        attempts: 1,
        status: 'running',
      });
    }
  });

  it("never runs more of a tenant's builds than its plan allows, and serves other tenants meanwhile", async () => {
    // Free: one build at a time. Each round, a tenant's two builds are claimed by two workers at once.
    // Queued one tenant after another, so a tenant's second build is next in line after its first.
    const rounds: { tenantId: string; builds: string[] }[] = [];
    for (let i = 0; i < 10; i += 1) {
      const limited = await newTenant(dbA, 'free');
      rounds.push({ tenantId: limited.tenantId!, builds: await queue(limited.tenantId!, 2) });
    }
    const other = await newTenant(dbA, 'free');
    const [otherBuild] = await queue(other.tenantId!, 1);

    const claims = await drain(3);

    const claimed = new Set(claims.map((c) => c.buildId));
    expect(claimed.size).toBe(claims.length);
    for (const round of rounds) {
      // Oldest first, one at a time: the second build waits for the first to finish.
      expect(round.builds.filter((id) => claimed.has(id))).toEqual([round.builds[0]]);
    }
    expect(claimed.has(otherBuild!)).toBe(true);

    // The first build finishes: its tenant's next build is claimed, by one worker only.
    const [round] = rounds;
    const owner = claims.find((c) => c.buildId === round!.builds[0])!.worker;
    const worker = owner.startsWith('a') ? workerA : workerB;
    expect(await worker.markFinished(round!.builds[0]!, owner, { status: 'failed', error: 'test' })).toBe(
      true,
    );
    const next = await Promise.all([workerA.claimNext('a-next'), workerB.claimNext('b-next')]);
    expect(next.filter((b) => b !== undefined).map((b) => b!.id)).toEqual([round!.builds[1]]);
  });
});
