import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { BuildsService } from '../../libs/builds/index.js';
import { UsageMeter } from '../../libs/metering/index.js';
import { tarGz } from '../support/archives.js';
import { migratedDataSource } from '../support/database.js';
import {
  newTenant,
  resetRuntimeTables,
  type RuntimeProcess,
  startRuntimeProcess,
} from './support/runtime-process.js';

const MINUTE = 60_000;

/**
 * Builds run with the plan's build allotment (build memory and CPU), not its replica size: the build row
 * records it at upload, the runner uses the row, and the meter bills usage of kind build at that size.
 */
describe('build allotment (medium)', () => {
  let db: DataSource;
  let berth: RuntimeProcess;

  beforeAll(async () => {
    db = await migratedDataSource();
  });
  afterAll(async () => {
    await db.destroy();
  });
  beforeEach(async () => {
    await resetRuntimeTables(db);
    berth = await startRuntimeProcess(new Map());
  });
  afterEach(async () => {
    await berth.close();
  });

  async function upload(planId: string): Promise<{ id: string; memoryMb: number; cpuMillis: number }> {
    const tenant = await newTenant(db, planId);
    await berth.apps.create(tenant, { name: 'site', replicas: 1 });
    const archive = await tarGz([
      { name: 'package.json', body: JSON.stringify({ name: 'site', version: '1.0.0', main: 'index.js' }) },
      { name: 'index.js', body: '' },
    ]);
    const { build } = await berth.module
      .get(BuildsService)
      .upload(tenant, 'site', { body: Readable.from([archive]) });
    const [row]: { id: string; memoryMb: number; cpuMillis: number }[] = await db.query(
      `SELECT id, memory_mb AS "memoryMb", cpu_millis AS "cpuMillis" FROM builds WHERE id = $1`,
      [build.id],
    );
    return row!;
  }

  it('gives every seeded plan at least one core and 1 GB for builds, and a larger replica size if any', async () => {
    const plans: { id: string; memory: number; cpu: number; buildMemory: number; buildCpu: number }[] =
      await db.query(
        `SELECT id, memory_mb AS memory, cpu_millis AS cpu, build_memory_mb AS "buildMemory",
                build_cpu_millis AS "buildCpu" FROM plans WHERE id IN ('free', 'hobby', 'pro', 'business')`,
      );
    expect(plans).toHaveLength(4);
    for (const plan of plans) {
      expect(plan.buildMemory).toBe(Math.max(1024, plan.memory));
      expect(plan.buildCpu).toBe(Math.max(1000, plan.cpu));
    }
  });

  it('records the build allotment on the build, not the replica size, and meters the build at it', async () => {
    const planId = `builder-${crypto.randomBytes(3).toString('hex')}`;
    await db.query(
      `INSERT INTO plans (id, name, memory_mb, cpu_millis, build_memory_mb, build_cpu_millis, max_apps,
                          max_replicas_per_app, max_total_memory_mb, load_balancer_allowed, max_upload_mb,
                          build_timeout_seconds, concurrent_builds)
       VALUES ($1, 'Builder', 128, 250, 1536, 2000, 2, 2, 512, false, 10, 60, 1)`,
      [planId],
    );
    const build = await upload(planId);
    expect(build).toMatchObject({ memoryMb: 1536, cpuMillis: 2000 });

    // It ran for 90 s two hours ago: the meter bills it at the build's size.
    const started = Math.floor(Date.now() / MINUTE) * MINUTE - 120 * MINUTE;
    await db.query(
      `UPDATE builds SET status = 'succeeded', started_at = $2, finished_at = $3 WHERE id = $1`,
      [build.id, new Date(started), new Date(started + 90_000)],
    );
    await new UsageMeter(db, { windowSeconds: 60 }).meterUntil(new Date());
    const records: { kind: string; memoryMb: number; cpuMillis: number }[] = await db.query(
      `SELECT kind, memory_mb AS "memoryMb", cpu_millis AS "cpuMillis" FROM usage_records
        WHERE subject_id = $1 ORDER BY window_start`,
      [build.id],
    );
    expect(records).toEqual([
      { kind: 'build', memoryMb: 1536, cpuMillis: 2000 },
      { kind: 'build', memoryMb: 1536, cpuMillis: 2000 },
    ]);
  });

  it('gives a build at least 512 MB whatever a plan row says', async () => {
    const planId = `tiny-${crypto.randomBytes(3).toString('hex')}`;
    await db.query(
      `INSERT INTO plans (id, name, memory_mb, cpu_millis, build_memory_mb, build_cpu_millis, max_apps,
                          max_replicas_per_app, max_total_memory_mb, load_balancer_allowed, max_upload_mb,
                          build_timeout_seconds, concurrent_builds)
       VALUES ($1, 'Tiny', 64, 100, 256, 500, 2, 2, 512, false, 10, 60, 1)`,
      [planId],
    );
    expect(await upload(planId)).toMatchObject({ memoryMb: 512, cpuMillis: 500 });
  });
});
