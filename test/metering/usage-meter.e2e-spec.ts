import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { BerthConfig } from '../../libs/config/index.js';
import { MeterLoop, UsageMeter } from '../../libs/metering/index.js';
import { LOCK_KEYS } from '../../libs/control-loop/index.js';
import { migratedDataSource } from '../support/database.js';
import {
  MINUTE,
  era,
  insertBuild,
  insertRun,
  millisOf,
  recordsOf,
  removeSpans,
  resetMeterState,
  shapeOf,
  stopRun,
} from './metering-fixtures.js';

const SECOND = 1000;
const sum = (records: { seconds: string }[]) => records.reduce((total, r) => total + millisOf(r.seconds), 0);

describe('usage meter (real PostgreSQL)', () => {
  let db: DataSource;
  let meter: UsageMeter;
  const tenants: string[] = [];
  const tenant = () => {
    const id = crypto.randomUUID();
    tenants.push(id);
    return id;
  };

  beforeAll(async () => {
    db = await migratedDataSource();
    meter = new UsageMeter(db, { windowSeconds: 60, graceSeconds: 30 });
  });
  beforeEach(async () => {
    await resetMeterState(db);
  });
  afterEach(async () => {
    await removeSpans(db, tenants.splice(0));
  });
  afterAll(async () => {
    await db.destroy();
  });

  it('cuts a run of 2 min 7.5 s across four windows into records that add up to exactly its duration', async () => {
    const t0 = era(1);
    const start = t0 + 55_250;
    const run = await insertRun(db, { tenantId: tenant(), startedAt: start, stoppedAt: start + 127_500 });
    await meter.meterUntil(new Date(t0 + 10 * MINUTE));
    const records = await recordsOf(db, [run.replicaId]);
    expect(records.map((r) => [r.windowStart, r.windowEnd, r.seconds])).toEqual([
      [iso(t0), iso(t0 + MINUTE), '4.750'],
      [iso(t0 + MINUTE), iso(t0 + 2 * MINUTE), '60.000'],
      [iso(t0 + 2 * MINUTE), iso(t0 + 3 * MINUTE), '60.000'],
      [iso(t0 + 3 * MINUTE), iso(t0 + 4 * MINUTE), '2.750'],
    ]);
    expect(sum(records)).toBe(127_500);
  });

  it('keeps Docker’s microsecond timestamps within a millisecond of the real running time', async () => {
    const tenantId = tenant();
    const replicaId = crypto.randomUUID();
    await db.query(
      `INSERT INTO replica_runs (replica_id, tenant_id, app_id, role, container_id, memory_mb, cpu_millis, plan_id,
                                 started_at, stopped_at)
       VALUES ($1, $2, gen_random_uuid(), 'web', 'c', 256, 500, 'hobby',
               '2025-01-03T10:00:55.250400Z', '2025-01-03T10:03:02.750900Z')`,
      [replicaId, tenantId],
    );
    await meter.meterUntil(new Date(Date.UTC(2025, 0, 3, 10, 10)));
    const records = await recordsOf(db, [replicaId]);
    expect(records).toHaveLength(4);
    expect(Math.abs(sum(records) - 127_500.5)).toBeLessThan(1);
  });

  it('follows an open run as windows close, and a stop learned within the grace period still lands in its window', async () => {
    const t0 = era(4);
    const run = await insertRun(db, { tenantId: tenant(), startedAt: t0 + 10 * SECOND, stoppedAt: null });
    await meter.meterUntil(new Date(t0 + 100 * SECOND)); // closed until 60 s
    expect((await recordsOf(db, [run.replicaId])).map((r) => r.seconds)).toEqual(['50.000']);
    await meter.meterUntil(new Date(t0 + 150 * SECOND)); // closed until 120 s
    expect((await recordsOf(db, [run.replicaId])).map((r) => r.seconds)).toEqual(['50.000', '60.000']);
    // The container stops at 130 s; the reconciler notices 35 s later, before [120 s, 180 s) closes at 210 s.
    await meter.meterUntil(new Date(t0 + 165 * SECOND));
    await stopRun(db, run.id, t0 + 130 * SECOND);
    await meter.meterUntil(new Date(t0 + 215 * SECOND));
    await meter.meterUntil(new Date(t0 + 20 * MINUTE));
    const records = await recordsOf(db, [run.replicaId]);
    expect(records.map((r) => r.seconds)).toEqual(['50.000', '60.000', '10.000']);
    expect(sum(records)).toBe(120 * SECOND);
  });

  it('meters a run the reconciler records late (after the meter passed its windows) from its start', async () => {
    const t0 = era(5);
    const tenantId = tenant();
    const steady = await insertRun(db, { tenantId, startedAt: t0, stoppedAt: null });
    await meter.meterUntil(new Date(t0 + 10 * MINUTE + 30 * SECOND));
    expect(await recordsOf(db, [steady.replicaId])).toHaveLength(10);
    // E.g. the API died between starting a container and recording it; it records it on restart.
    const late = await insertRun(db, { tenantId, startedAt: t0 + 2 * MINUTE + 500, stoppedAt: null });
    await meter.meterUntil(new Date(t0 + 11 * MINUTE + 30 * SECOND));
    await stopRun(db, late.id, t0 + 11 * MINUTE + 45 * SECOND);
    await stopRun(db, steady.id, t0 + 11 * MINUTE + 45 * SECOND);
    await meter.meterUntil(new Date(t0 + 30 * MINUTE));
    expect(sum(await recordsOf(db, [late.replicaId]))).toBe(9 * MINUTE + 45 * SECOND - 500);
    expect(sum(await recordsOf(db, [steady.replicaId]))).toBe(11 * MINUTE + 45 * SECOND);
  });

  it('catches up from the earliest unmetered run, a bounded number of windows per pass', async () => {
    const t0 = era(6);
    const run = await insertRun(db, {
      tenantId: tenant(),
      startedAt: t0 + 1,
      stoppedAt: t0 + 3 * 24 * 3600_000,
    });
    const bounded = new UsageMeter(db, { windowSeconds: 60, maxWindowsPerPass: 500, maxPassesPerCall: 3 });
    const first = await bounded.meterUntil(new Date(t0 + 4 * 24 * 3600_000));
    expect(first).toMatchObject({ passes: 3, caughtUp: false, inserted: 1500 });
    let report = first;
    while (!report.caughtUp) report = await bounded.meterUntil(new Date(t0 + 4 * 24 * 3600_000));
    const records = await recordsOf(db, [run.replicaId]);
    expect(records).toHaveLength(3 * 24 * 60);
    expect(sum(records)).toBe(3 * 24 * 3600_000 - 1);
  });

  it('meters builds from start to finish, and a running build until the last closed window', async () => {
    const t0 = era(7);
    const tenantId = tenant();
    const done = await insertBuild(db, { tenantId, startedAt: t0 + 20 * SECOND, finishedAt: t0 + 115_500 });
    const running = await insertBuild(db, {
      tenantId,
      startedAt: t0 + 4 * MINUTE + 15 * SECOND,
      finishedAt: null,
    });
    await meter.meterUntil(new Date(t0 + 6 * MINUTE + 40 * SECOND)); // closed until 6 min
    const finished = await recordsOf(db, [done]);
    expect(finished.map((r) => [r.kind, r.seconds, r.memoryMb])).toEqual([
      ['build', '40.000', 512],
      ['build', '55.500', 512],
    ]);
    expect(sum(await recordsOf(db, [running]))).toBe(105 * SECOND);
  });

  it('runs as a control loop on the real clock, in one process at a time (advisory lock)', async () => {
    const now = Date.now();
    const run = await insertRun(db, {
      tenantId: tenant(),
      startedAt: now - 5 * MINUTE,
      stoppedAt: now - 2 * MINUTE - 123,
    });
    const config = { runWorkers: true, meterIntervalMs: 50 } as BerthConfig;
    const otherDb = await migratedDataSource();
    const first = new MeterLoop(config, db, meter);
    const second = new MeterLoop(config, otherDb, new UsageMeter(otherDb, { windowSeconds: 60 }));
    try {
      first.onApplicationBootstrap();
      for (let i = 0; i < 100 && sum(await recordsOf(db, [run.replicaId])) < 3 * MINUTE - 123; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(sum(await recordsOf(db, [run.replicaId]))).toBe(3 * MINUTE - 123);
      second.onApplicationBootstrap();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const holders = await db.query(
        `SELECT pid FROM pg_locks
          WHERE locktype = 'advisory' AND objid = $1 AND granted
            AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [LOCK_KEYS.meter],
      );
      expect(holders).toHaveLength(1);
    } finally {
      await first.onApplicationShutdown();
      await second.onApplicationShutdown();
      await otherDb.destroy();
    }
  });

  /** Runs of every shape, same times for every copy: a long one, a crash loop, a balancer, an open one, a build. */
  async function scenario(t0: number): Promise<{ tenantId: string; subjects: string[] }> {
    const tenantId = tenant();
    const long = await insertRun(db, {
      tenantId,
      startedAt: t0 + 7_123,
      stoppedAt: t0 + 21 * MINUTE + 9_877,
    });
    const crashing = crypto.randomUUID();
    for (const [from, to] of [
      [MINUTE + 1_000, MINUTE + 9_000],
      [MINUTE + 20_000, MINUTE + 40_500],
      [MINUTE + 50_000, 7 * MINUTE + 3_000],
      [8 * MINUTE, 8 * MINUTE + 1],
    ]) {
      await insertRun(db, { tenantId, replicaId: crashing, startedAt: t0 + from, stoppedAt: t0 + to });
    }
    const lb = await insertRun(db, {
      tenantId,
      role: 'lb',
      memoryMb: 64,
      startedAt: t0 + 3 * MINUTE,
      stoppedAt: t0 + 30 * MINUTE,
    });
    const open = await insertRun(db, { tenantId, startedAt: t0 + 12 * MINUTE + 345, stoppedAt: null });
    const build = await insertBuild(db, {
      tenantId,
      startedAt: t0 + 30 * SECOND,
      finishedAt: t0 + 4 * MINUTE,
    });
    return { tenantId, subjects: [long.replicaId, crashing, lb.replicaId, open.replicaId, build] };
  }

  /** The records of one meter, metering the scenario alone and without incident: what the others must match. */
  async function reference(t0: number, finalNow: Date) {
    const { subjects } = await scenario(t0);
    await meter.meterUntil(finalNow);
    const records = await recordsOf(db, subjects);
    await removeSpans(db, tenants.splice(0));
    await resetMeterState(db);
    return { subjects, shape: shapeOf(records), count: records.length };
  }

  const renamer = (from: string[], to: string[]) => (subject: string) => to[from.indexOf(subject)];

  it('loses nothing and duplicates nothing when the meter is killed in the middle of a pass', async () => {
    const t0 = era(10);
    const finalNow = new Date(t0 + 40 * MINUTE);
    const expected = await reference(t0, finalNow);
    expect(expected.count).toBeGreaterThan(60);

    const { subjects } = await scenario(t0);
    await meter.meterUntil(new Date(t0 + 12 * MINUTE)); // a prefix of the windows
    const prefix = (await recordsOf(db, subjects)).length;
    expect(prefix).toBeGreaterThan(0);

    // Block the next pass after it inserted its records (on its bookmark write), then kill its backend.
    const idBefore = await lastId(db);
    const holder = db.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query(`SELECT * FROM usage_meter_state WHERE source = 'replica_runs' FOR UPDATE`);
    const doomedDb = await migratedDataSource();
    const doomed = new UsageMeter(doomedDb, { windowSeconds: 60, graceSeconds: 30 });
    const pass = doomed.pass(finalNow).then(
      () => 'committed',
      () => 'failed',
    );
    const pid = await waitForBlockedPass(db);
    // It has inserted its records (ids were drawn), but they are not visible: not committed.
    expect(await lastId(db)).toBeGreaterThan(idBefore);
    expect((await recordsOf(db, subjects)).length).toBe(prefix);
    await db.query('SELECT pg_terminate_backend($1)', [pid]);
    expect(await pass).toBe('failed');
    await holder.rollbackTransaction();
    await holder.release();
    await doomedDb.destroy().catch(() => undefined);
    expect((await recordsOf(db, subjects)).length).toBe(prefix);

    // Rerun after the crash, then once more: the same records as the clean meter, each exactly once.
    await meter.meterUntil(finalNow);
    const again = await meter.meterUntil(finalNow);
    expect(again.inserted).toBe(0);
    const records = await recordsOf(db, subjects);
    expect(shapeOf(records, renamer(subjects, expected.subjects))).toEqual(expected.shape);
  });

  it('two meters racing on the same windows store exactly the records one meter stores', async () => {
    const t0 = era(12);
    const finalNow = new Date(t0 + 40 * MINUTE);
    const expected = await reference(t0, finalNow);

    const { subjects } = await scenario(t0);
    const dbA = await migratedDataSource();
    const dbB = await migratedDataSource();
    try {
      const a = new UsageMeter(dbA, { windowSeconds: 60, maxWindowsPerPass: 3 });
      const b = new UsageMeter(dbB, { windowSeconds: 60, maxWindowsPerPass: 3 });
      let inserted = 0;
      for (let minute = 1; minute <= 37; minute += 3) {
        const now = t0 + minute * MINUTE + 30 * SECOND;
        const reports = await Promise.all([
          a.meterUntil(new Date(now)),
          b.meterUntil(new Date(now + 17)),
          a.pass(new Date(now + 5)),
          b.pass(new Date(now)),
        ]);
        inserted += reports.reduce((total, r) => total + r.inserted, 0);
      }
      const reports = await Promise.all([a.meterUntil(finalNow), b.meterUntil(finalNow)]);
      inserted += reports.reduce((total, r) => total + r.inserted, 0);
      const records = await recordsOf(db, subjects);
      expect(inserted).toBe(records.length);
      expect(shapeOf(records, renamer(subjects, expected.subjects))).toEqual(expected.shape);
    } finally {
      await dbA.destroy();
      await dbB.destroy();
    }
  });
});

async function lastId(db: DataSource): Promise<number> {
  const [row] = await db.query(`SELECT last_value::int AS id FROM usage_records_id_seq`);
  return row.id;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The backend of a meter pass waiting for the bookmark row lock (its records are inserted by then). */
async function waitForBlockedPass(db: DataSource): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const [row] = await db.query(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO usage_meter_state%'`,
    );
    if (row) return row.pid;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the meter pass never blocked on the bookmark');
}
