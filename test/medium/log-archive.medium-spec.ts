import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { LOCK_KEYS } from '../../libs/control-loop/index.js';
import type { Principal } from '../../libs/identity/index.js';
import {
  AppLogsService,
  LogArchiveStore,
  LogArchiver,
  LogsModule,
  PARTITION_DAYS_AHEAD,
  addDays,
  cursorOf,
  partitionName,
  utcDay,
} from '../../libs/logs/index.js';
import { ReplicasRepository } from '../../libs/runtime/index.js';
import { migratedDataSource } from '../support/database.js';
import {
  type FakeHosts,
  type ListeningFakeEngine,
  type RuntimeProcess,
  deployedApp,
  newHost,
  newTenant,
  reconcileUntil,
  resetRuntimeTables,
  startRuntimeProcess,
} from './support/runtime-process.js';

/**
 * The log archive on real PostgreSQL with FakeEngine: a replica's lines caught up from the engine and
 * followed live end in the store with a watermark, and stay readable (same order, same cursors) once the
 * container is gone; a re-sent batch is a no-op; each plan's retention picks the partition; the daily byte
 * cap refuses and counts; two processes share one loop lock; expiry drops whole partitions. Plans and
 * tenants are the test's own; the partition test runs last (it moves "today" forward).
 */
describe('log archive (medium)', () => {
  const engines: FakeHosts = new Map();
  let one: RuntimeProcess;
  let db: DataSource;
  let store: LogArchiveStore;
  let engine: ListeningFakeEngine;
  const suffix = crypto.randomBytes(4).toString('hex');
  const shortPlan = `logs-short-${suffix}`;
  const longPlan = `logs-long-${suffix}`;
  const tinyPlan = `logs-tiny-${suffix}`;

  beforeAll(async () => {
    // Other files' hosts and apps go before this process starts (it reads the hosts as it starts).
    const migrated = await migratedDataSource();
    await resetRuntimeTables(migrated);
    await migrated.destroy();
    one = await startRuntimeProcess(engines, {}, [LogsModule]);
    db = one.dataSource;
    store = one.module.get(LogArchiveStore);
    for (const [id, days, mb] of [
      [shortPlan, 1, 100],
      [longPlan, 30, 100],
      [tinyPlan, 1, 1],
    ] as const) {
      await db.query(
        `INSERT INTO plans (id, name, memory_mb, cpu_millis, max_apps, max_replicas_per_app, max_total_memory_mb,
                            load_balancer_allowed, max_upload_mb, build_timeout_seconds, concurrent_builds,
                            log_retention_days, log_mb_per_day)
         VALUES ($1, 'Log archive test', 128, 250, 10, 2, 4096, false, 10, 60, 2, $2, $3)`,
        [id, days, mb],
      );
    }
    await store.ensurePartitions(utcDay());
    engine = await newHost(db, engines);
  });

  afterAll(async () => {
    if (!db) return;
    await resetRuntimeTables(db);
    await db.query(`DELETE FROM tenants WHERE plan_id = ANY($1)`, [[shortPlan, longPlan, tinyPlan]]);
    await db.query(`DELETE FROM plans WHERE id = ANY($1)`, [[shortPlan, longPlan, tinyPlan]]);
    await one.close();
    await engine.close(); // its containers' loopback listeners
  });

  async function running(
    principal: Principal,
    name: string,
  ): Promise<{ appId: string; containerId: string; replica: string }> {
    const app = await deployedApp(one, principal, { name, replicas: 1, engines: [engine] });
    const replicas = one.module.get(ReplicasRepository);
    await reconcileUntil(one, async () => (await replicas.startedWithContainerOfApps([app.id])).length === 1);
    const [replica] = await replicas.startedWithContainerOfApps([app.id]);
    return { appId: app.id, containerId: replica!.containerId!, replica: replica!.id };
  }

  /** FakeEngine stamps lines to the millisecond, and follows drop a line not stamped after the previous one. */
  async function print(containerId: string, stream: 'stdout' | 'stderr', text: string): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 2));
    engine.appendLog({ id: containerId, stream, text });
  }

  async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  const watermarkOf = async (replica: string): Promise<{ ts: string; ordinal: number } | undefined> =>
    (
      (await db.query(`SELECT ts, ordinal FROM app_log_watermarks WHERE replica_id = $1`, [replica])) as {
        ts: string;
        ordinal: number;
      }[]
    )[0];

  it("keeps a replica's lines (caught up, then live) readable in order after its container is gone", async () => {
    const principal = await newTenant(db, shortPlan);
    const { appId, containerId, replica } = await running(principal, 'archived');
    for (const n of [1, 2, 3]) await print(containerId, 'stdout', `before ${n}`);
    const archiver = one.module.get(LogArchiver);
    await archiver.runPass(); // subscribes the app and catches its replica up from the engine
    await until('the catch-up', async () => (await watermarkOf(replica)) !== undefined);
    const logs = one.module.get(AppLogsService);
    const early = await (await logs.open(principal, 'archived', { tail: 2 })).page();
    const cursor = cursorOf(early.lines[0]!); // "before 2", taken before the container goes
    for (const n of [1, 2]) await print(containerId, 'stderr', `live ${n}`);
    await until('the live lines', async () => {
      await archiver.flush();
      const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM app_log_lines WHERE app_id = $1`, [
        appId,
      ])) as { n: number }[];
      return n === 5;
    });
    await until('the watermark at the last line', async () => {
      await archiver.flush();
      const [{ newest }] = (await db.query(
        `SELECT max(ts) AS newest FROM app_log_lines WHERE replica_id = $1`,
        [replica],
      )) as { newest: string }[];
      return (await watermarkOf(replica))?.ts === newest;
    });

    await engine.removeContainer({ id: containerId, force: true });
    const page = await (await logs.open(principal, 'archived', { since: '2000-01-01T00:00:00Z' })).page();
    expect(page.lines.map((l) => `${l.stream} ${l.text}`)).toEqual([
      'stdout before 1',
      'stdout before 2',
      'stdout before 3',
      'stderr live 1',
      'stderr live 2',
    ]);
    expect(page.lines.every((l) => l.replica === replica && l.containerId === containerId)).toBe(true);
    const resumed = await (await logs.open(principal, 'archived', { after: cursor })).page();
    expect(resumed.lines.map((l) => l.text)).toEqual(['before 3', 'live 1', 'live 2']);
    expect((await (await logs.open(principal, 'archived', { tail: 1 })).page()).lines[0]?.text).toBe(
      'live 2',
    );

    // Another tenant's principal does not even find the app.
    const stranger = await newTenant(db, shortPlan);
    await expect(logs.open(stranger, 'archived', {})).rejects.toMatchObject({ status: 404 });
  }, 60_000);

  it('a re-sent batch is a no-op; the plan of the app picks the partition (line day + retention + 1)', async () => {
    const short = await running(await newTenant(db, shortPlan), 'short');
    const long = await running(await newTenant(db, longPlan), 'long');
    const today = utcDay();
    const line = (app: { appId: string; replica: string; containerId: string }, n: number) => ({
      appId: app.appId,
      replica: app.replica,
      containerId: app.containerId,
      stream: 'stdout' as const,
      timestamp: `${today}T00:00:00.00000000${n}Z`,
      ordinal: 0,
      text: `resent ${n}`,
    });
    const batch = { today, lines: [line(short, 1), line(short, 2), line(long, 1)], watermarks: [], days: [] };
    expect(await store.write(batch)).toBe(3);
    expect(await store.write(batch)).toBe(0);
    const rows = (await db.query(
      `SELECT app_id, to_char(expires_on, 'YYYY-MM-DD') AS expires, tableoid::regclass::text AS part
         FROM app_log_lines WHERE app_id = ANY($1) AND convert_from(text, 'UTF8') LIKE 'resent%'`,
      [[short.appId, long.appId]],
    )) as { app_id: string; expires: string; part: string }[];
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const expires = addDays(today, row.app_id === short.appId ? 2 : 31);
      expect(row).toMatchObject({ expires, part: partitionName(expires) });
    }
  }, 60_000);

  it('keeps every line byte for byte: multi-byte, empty, NUL, quotes, braces, backslashes, long', async () => {
    const app = await running(await newTenant(db, longPlan), 'bytes');
    const today = utcDay();
    // The texts go as one bytea cut by byte lengths: a wrong offset shifts every line after it.
    const texts = [
      'plain',
      '',
      'añø 日本語 🚢 (four-byte)',
      'nul\u0000inside',
      '{"json": "with \\"quotes\\""}',
      'C:\\path\\with\\backslashes, commas, {braces}',
      'x'.repeat(16_000),
      'NULL',
      'last',
    ];
    const lines = texts.map((text, n) => ({
      appId: app.appId,
      replica: app.replica,
      containerId: app.containerId,
      stream: (n % 2 ? 'stderr' : 'stdout') as 'stdout' | 'stderr',
      timestamp: `${today}T00:00:01.00000000${n}Z`,
      ordinal: n,
      text,
    }));
    expect(await store.write({ today, lines, watermarks: [], days: [] })).toBe(texts.length);
    const rows = (await db.query(
      `SELECT text, stream, ordinal FROM app_log_lines WHERE app_id = $1 AND ts LIKE $2 ORDER BY ts`,
      [app.appId, `${today}T00:00:01.%`],
    )) as { text: Buffer; stream: string; ordinal: number }[];
    expect(rows.map((r) => r.text.toString('utf8'))).toEqual(texts);
    expect(rows.map((r) => [r.stream, r.ordinal])).toEqual(lines.map((l) => [l.stream, l.ordinal]));
  }, 60_000);

  it("refuses and counts lines past the plan's daily bytes", async () => {
    const tiny = await running(await newTenant(db, tinyPlan), 'tiny');
    const archiver = one.module.get(LogArchiver);
    await archiver.runPass();
    await until('the catch-up', async () => {
      await archiver.runPass();
      return archiver.stats().catchUps === 0 && (await watermarkOf(tiny.replica)) !== undefined;
    }).catch(() => undefined); // an empty log leaves no watermark
    const kib = 'k'.repeat(1023);
    for (let n = 0; n < 1100; n += 1) await print(tiny.containerId, 'stdout', kib);
    await until('the counts', async () => {
      await archiver.flush();
      const days = await store.daysOf(tiny.appId);
      return (days[0]?.linesKept ?? 0) + (days[0]?.linesNotKept ?? 0) === 1100;
    });
    const [day] = await store.daysOf(tiny.appId);
    // 1 MiB a day: 1,025 lines of 1,023 bytes fit (the newline is not kept), the 75 others are counted.
    expect(day).toMatchObject({ day: utcDay(), bytesKept: 1025 * 1023, linesKept: 1025, linesNotKept: 75 });
  }, 60_000);

  it('two processes: exactly one holds the archive loop lock', async () => {
    const two = await startRuntimeProcess(engines, { runWorkers: true }, [LogsModule]);
    const three = await startRuntimeProcess(engines, { runWorkers: true }, [LogsModule]);
    try {
      const holders = async (): Promise<number> =>
        (
          (await db.query(
            `SELECT count(*)::int AS n FROM pg_locks
              WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = $1::bigint::oid AND objsubid = 1`,
            [LOCK_KEYS.logArchive],
          )) as { n: number }[]
        )[0]!.n;
      await until('a leader', async () => (await holders()) === 1);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await holders()).toBe(1);
    } finally {
      await two.close();
      await three.close();
    }
    expect(
      (
        (await db.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::bigint::oid`,
          [LOCK_KEYS.logArchive],
        )) as { n: number }[]
      )[0]!.n,
    ).toBe(0);
  }, 60_000);

  it('creates the partitions ahead and drops expired ones whole (their lines go with them)', async () => {
    const today = utcDay();
    const existing = async (): Promise<string[]> =>
      (
        (await db.query(
          `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'app_log_lines' ORDER BY 1`,
        )) as { name: string }[]
      ).map((r) => r.name);
    const before = await existing();
    expect(before[0]).toBe(partitionName(addDays(today, 1)));
    expect(before.at(-1)).toBe(partitionName(addDays(today, PARTITION_DAYS_AHEAD)));
    expect(before).toHaveLength(PARTITION_DAYS_AHEAD);
    expect(await store.ensurePartitions(today)).toEqual({ created: [], dropped: [] });

    const [{ n: shortLines }] = (await db.query(
      `SELECT count(*)::int AS n FROM app_log_lines WHERE expires_on <= $1::date`,
      [addDays(today, 2)],
    )) as { n: number }[];
    expect(shortLines).toBeGreaterThan(0);
    // Two days on: the partitions of today + 1 and + 2 (the 1-day plan's lines of today) are dropped.
    const later = addDays(today, 2);
    expect(await store.ensurePartitions(later)).toEqual({
      created: [
        partitionName(addDays(later, PARTITION_DAYS_AHEAD - 1)),
        partitionName(addDays(later, PARTITION_DAYS_AHEAD)),
      ],
      dropped: [partitionName(addDays(today, 1)), partitionName(addDays(today, 2))],
    });
    const [{ n: left }] = (await db.query(
      `SELECT count(*)::int AS n FROM app_log_lines WHERE expires_on <= $1::date`,
      [later],
    )) as { n: number }[];
    expect(left).toBe(0);
    // The 30-day plan's lines stay.
    const [{ n: kept }] = (await db.query(`SELECT count(*)::int AS n FROM app_log_lines`)) as { n: number }[];
    expect(kept).toBeGreaterThan(0);
    // Back to today for the files after this one.
    for (const day of [addDays(today, 1), addDays(today, 2)]) {
      await db.query(
        `CREATE TABLE "${partitionName(day)}" PARTITION OF app_log_lines FOR VALUES FROM ('${day}') TO ('${addDays(day, 1)}')`,
      );
    }
  }, 60_000);
});
