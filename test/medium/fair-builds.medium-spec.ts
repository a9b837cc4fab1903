import crypto from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { BuildsRepository } from '../../libs/builds/index.js';
import { migratedDataSource } from '../support/database.js';
import { newTenant, resetRuntimeTables } from './support/runtime-process.js';

/**
 * The build queue's order between tenants, on real PostgreSQL: a tenant that queues many builds delays
 * only itself, tenants take turns, and a slot reserved for an upload holds its place in the quota without
 * being claimable.
 */
describe('fair build queue (medium)', () => {
  let db: DataSource;
  let builds: BuildsRepository;

  beforeAll(async () => {
    db = await migratedDataSource();
    builds = new BuildsRepository(db);
  });
  afterAll(async () => {
    await db.destroy();
  });
  beforeEach(async () => {
    await resetRuntimeTables(db);
  });

  const source = (tenantId: string) => ({
    appId: crypto.randomUUID(),
    tenantId,
    sourceKey: `sources/${tenantId}/${crypto.randomUUID()}.tar.gz`,
    timeoutSeconds: 60,
    memoryMb: 128,
    cpuMillis: 250,
  });

  async function queue(tenantId: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const build = await db.transaction((manager) =>
        builds.insertQueued(manager, {
          ...source(tenantId),
          sourceSha256: 'x'.repeat(64),
          sourceBytes: '1',
          manifest: {},
        }),
      );
      ids.push(build.id);
    }
    return ids;
  }

  /** Claims `count` builds one after another, as one worker with free slots would. */
  async function claim(count: number): Promise<string[]> {
    const claimed: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const build = await builds.claimNext('worker');
      if (!build) break;
      claimed.push(build.id);
    }
    return claimed;
  }

  it("claims another tenant's build at the next free slot, however many builds the first one queued", async () => {
    const flooder = await newTenant(db, 'business');
    const flood = await queue(flooder.tenantId!, 20);
    const other = await newTenant(db, 'hobby');
    const [single] = await queue(other.tenantId!, 1);

    // Two worker slots: the flooder's first build, then the other tenant's, before the flooder's second.
    expect(await claim(2)).toEqual([flood[0], single]);
    expect(await claim(2)).toEqual([flood[1], flood[2]]);
  });

  it('takes turns between tenants, each in its own upload order', async () => {
    const tenants = await Promise.all(
      ['business', 'business', 'business'].map((plan) => newTenant(db, plan)),
    );
    const queues: string[][] = [];
    for (const tenant of tenants) queues.push(await queue(tenant.tenantId!, 3));
    const [qa, qb, qc] = queues as [string[], string[], string[]];
    expect(await claim(9)).toEqual([qa[0], qb[0], qc[0], qa[1], qb[1], qc[1], qa[2], qb[2], qc[2]]);
  });

  it('counts a slot reserved for an upload but never claims it until it is queued', async () => {
    const tenant = await newTenant(db, 'hobby');
    const slot = await db.transaction((manager) => builds.reserveSlot(manager, source(tenant.tenantId!), 60));
    expect(await builds.activeBuildsOf(tenant.tenantId!)).toBe(1);
    expect(await builds.claimNext('worker')).toBeUndefined();

    await db.transaction((manager) =>
      builds.queueReserved(manager, slot, { sourceSha256: 'y'.repeat(64), sourceBytes: '2', manifest: {} }),
    );
    expect((await builds.claimNext('worker'))?.id).toBe(slot);
  });

  it('frees a reserved slot whose upload never finished once its hold lapses', async () => {
    const tenant = await newTenant(db, 'hobby');
    const slot = await db.transaction((manager) => builds.reserveSlot(manager, source(tenant.tenantId!), 60));
    await builds.failAbandoned();
    expect(await builds.activeBuildsOf(tenant.tenantId!)).toBe(1);

    await db.query(`UPDATE builds SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [slot]);
    await builds.failAbandoned();
    expect(await builds.activeBuildsOf(tenant.tenantId!)).toBe(0);
    expect(
      await db.transaction((manager) =>
        builds.queueReserved(manager, slot, { sourceSha256: 'y'.repeat(64), sourceBytes: '2', manifest: {} }),
      ),
    ).toBe(false);
  });
});
