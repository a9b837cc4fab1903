import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditModule } from '../../libs/audit/index.js';
import { ConfigModule, loadConfig, type BerthConfig } from '../../libs/config/index.js';
import { LOCK_KEYS } from '../../libs/control-loop/index.js';
import { DatabaseModule } from '../../libs/db/index.js';
import { EventsModule, EventsService } from '../../libs/events/index.js';
import { ENTITIES } from '../../libs/platform/index.js';
import { RETENTION_BATCH, Retention, RetentionModule } from '../../libs/retention/index.js';
import { migratedDataSource } from '../support/database.js';

/**
 * The retention loop on real PostgreSQL: which events, webhook deliveries, audit events and run outputs go
 * and which stay at the edges of each rule, statements bounded to their batch, two passes at once, and two
 * processes whose loops share one lock. Rows are made directly (with the ages under test); plans and tenants
 * are the test's own.
 */
describe('retention (medium)', () => {
  let one: TestingModule;
  let two: TestingModule;
  let db: DataSource;
  const suffix = crypto.randomBytes(4).toString('hex');
  const shortPlan = `ret-short-${suffix}`;
  const longPlan = `ret-long-${suffix}`;

  async function startProcess(overrides: Partial<BerthConfig> = {}): Promise<TestingModule> {
    Logger.overrideLogger(process.env.LOG_LEVEL === 'debug' ? ['log', 'warn', 'error'] : false);
    const config: BerthConfig = {
      ...loadConfig({ ...process.env, BERTH_DATA_DIR: '.data/test-medium', BERTH_RUN_WORKERS: 'false' }),
      localDockerSocket: '',
      ...overrides,
    };
    const module = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot({ url: process.env.DATABASE_URL!, entities: ENTITIES }),
        AuditModule,
        EventsModule,
        RetentionModule,
      ],
    }).compile();
    await module.init();
    return module;
  }

  async function newPlan(id: string, eventRetentionDays: number, runRetention: number): Promise<void> {
    await db.query(
      `INSERT INTO plans (id, name, memory_mb, cpu_millis, max_apps, max_replicas_per_app, max_total_memory_mb,
                          load_balancer_allowed, max_upload_mb, build_timeout_seconds, concurrent_builds,
                          event_retention_days, run_retention)
       VALUES ($1, 'Retention test', 128, 250, 10, 2, 4096, false, 10, 60, 2, $2, $3)`,
      [id, eventRetentionDays, runRetention],
    );
  }

  async function newTenant(planId: string): Promise<string> {
    const [row]: { id: string }[] = await db.query(
      `INSERT INTO tenants (name, plan_id) VALUES ($1, $2) RETURNING id`,
      [`retention-${crypto.randomBytes(4).toString('hex')}`, planId],
    );
    return row!.id;
  }

  /** An event of the tenant written `age` ago (a PostgreSQL interval); returns its seq. */
  async function event(tenantId: string, age: string): Promise<string> {
    const [row]: { seq: string }[] = await db.query(
      `INSERT INTO events (tenant_id, type, created_at) VALUES ($1, 'quota.refused', now() - $2::interval)
       RETURNING seq::text`,
      [tenantId, age],
    );
    return row!.seq;
  }

  const existing = async (table: string, column: string, ids: string[]): Promise<string[]> =>
    (
      (await db.query(`SELECT ${column}::text AS id FROM ${table} WHERE ${column}::text = ANY($1)`, [
        ids,
      ])) as { id: string }[]
    )
      .map((r) => r.id)
      .sort();

  const retention = (module: TestingModule) => module.get(Retention);

  beforeAll(async () => {
    await (await migratedDataSource()).destroy();
    one = await startProcess();
    two = await startProcess();
    db = one.get<DataSource>(getDataSourceToken());
    await newPlan(shortPlan, 2, 2);
    await newPlan(longPlan, 5, 50);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), two?.close()]);
  });

  it("deletes events older than their plan's retention, keeps younger ones and those a delivery still retries", async () => {
    const short = await newTenant(shortPlan);
    const long = await newTenant(longPlan);
    const justOld = await event(short, '2 days 1 minute');
    const veryOld = await event(short, '30 days');
    const justYoung = await event(short, '1 day 23 hours 59 minutes');
    const young = await event(short, '1 minute');
    const retried = await event(short, '3 days');
    const delivered = await event(short, '3 days');
    const longKept = await event(long, '4 days 23 hours');
    const longGone = await event(long, '5 days 1 minute');
    const [hook]: { id: string }[] = await db.query(
      `INSERT INTO webhooks (tenant_id, url, event_types, secret_sealed, created_at)
       VALUES ($1, 'https://hooks.example.test/x', '{quota.}', 'sealed', now() - interval '4 days') RETURNING id`,
      [short],
    );
    await db.query(
      `INSERT INTO webhook_deliveries (webhook_id, event_seq, event_type, event_created_at, status, next_attempt_at, finished_at)
       VALUES ($1, $2, 'quota.refused', now() - interval '3 days', 'pending', now() + interval '1 hour', NULL),
              ($1, $3, 'quota.refused', now() - interval '3 days', 'delivered', NULL, now() - interval '3 days')`,
      [hook!.id, retried, delivered],
    );
    const events = one.get(EventsService);
    // A reader's cursor from before the pass (pointing at the oldest event).
    const cursor = String(Number(justOld) - 1);
    const before = await events.page({ tenantId: short, after: cursor, limit: 1 });
    expect(before.events.map((e) => e.seq)).toEqual([justOld]);

    const report = await retention(one).runPass();
    expect(report.events).toBeGreaterThanOrEqual(4);

    const all = [justOld, veryOld, justYoung, young, retried, delivered, longKept, longGone];
    expect(await existing('events', 'seq', all)).toEqual([justYoung, young, retried, longKept].sort());
    // The same cursor now starts at the oldest kept event.
    const after = await events.page({ tenantId: short, after: cursor });
    expect(after.events.map((e) => e.seq)).toEqual([justYoung, young, retried].sort((a, b) => +a - +b));

    // Once the delivery gave up, its event goes too.
    await db.query(
      `UPDATE webhook_deliveries SET status = 'failed', finished_at = now() WHERE event_seq = $1`,
      [retried],
    );
    await retention(one).runPass();
    expect(await existing('events', 'seq', [retried])).toEqual([]);
    await db.query(`DELETE FROM webhooks WHERE id = $1`, [hook!.id]);
  });

  it('deletes in statements of at most one batch: a pass runs as many as it needs', async () => {
    const tenant = await newTenant(shortPlan);
    await db.query(
      `INSERT INTO events (tenant_id, type, created_at)
       SELECT $1, 'quota.refused', now() - interval '3 days' - make_interval(secs => g) FROM generate_series(1, $2) g`,
      [tenant, RETENTION_BATCH * 2 + 17],
    );
    const count = async () =>
      (
        (await db.query(`SELECT count(*)::int AS n FROM events WHERE tenant_id = $1`, [tenant])) as {
          n: number;
        }[]
      )[0]!.n;
    expect(await one.get(EventsService).deleteExpired(RETENTION_BATCH)).toBe(RETENTION_BATCH);
    expect(await count()).toBe(RETENTION_BATCH + 17);
    const report = await retention(one).runPass();
    expect(report.events).toBeGreaterThanOrEqual(RETENTION_BATCH + 17);
    expect(report.more).toBe(false);
    expect(await count()).toBe(0);
  });

  it('deletes webhook deliveries and their attempts 7 days after their final state, never pending ones', async () => {
    const tenant = await newTenant(longPlan);
    const [hook]: { id: string }[] = await db.query(
      `INSERT INTO webhooks (tenant_id, url, event_types, secret_sealed, created_at)
       VALUES ($1, 'https://hooks.example.test/y', '{build.}', 'sealed', now() - interval '20 days') RETURNING id`,
      [tenant],
    );
    const delivery = async (status: string, finishedAgo: string | null, seq: number): Promise<string> => {
      const [row]: { id: string }[] = await db.query(
        `INSERT INTO webhook_deliveries (webhook_id, event_seq, event_type, event_created_at, status, created_at, finished_at)
         VALUES ($1, $2, 'build.failed', now() - interval '10 days', $3, now() - interval '10 days',
                 now() - $4::interval) RETURNING id::text`,
        [hook!.id, seq, status, finishedAgo],
      );
      await db.query(
        `INSERT INTO webhook_attempts (delivery_id, attempted_at, status_code, duration_ms)
         VALUES ($1, now() - interval '10 days', 500, 3), ($1, now() - interval '9 days', 200, 4)`,
        [row!.id],
      );
      return row!.id;
    };
    const oldDelivered = await delivery('delivered', '7 days 1 minute', 1);
    const oldFailed = await delivery('failed', '9 days', 2);
    const recentDelivered = await delivery('delivered', '6 days 23 hours 59 minutes', 3);
    const pending = await delivery('pending', null, 4);

    const report = await retention(one).runPass();
    expect(report.deliveries).toBeGreaterThanOrEqual(2);
    const all = [oldDelivered, oldFailed, recentDelivered, pending];
    expect(await existing('webhook_deliveries', 'id', all)).toEqual([recentDelivered, pending].sort());
    const attempts: { delivery: string }[] = await db.query(
      `SELECT delivery_id::text AS delivery FROM webhook_attempts WHERE delivery_id::text = ANY($1)`,
      [all],
    );
    expect([...new Set(attempts.map((a) => a.delivery))].sort()).toEqual([recentDelivered, pending].sort());
    await db.query(`DELETE FROM webhooks WHERE id = $1`, [hook!.id]);
  });

  it('deletes audit events older than BERTH_AUDIT_RETENTION_DAYS (365 by default)', async () => {
    const tenant = await newTenant(longPlan);
    const audit = async (age: string): Promise<string> => {
      const [row]: { id: string }[] = await db.query(
        `INSERT INTO audit_events (tenant_id, actor, action, created_at) VALUES ($1, 'system', 'test.old', now() - $2::interval)
         RETURNING id::text`,
        [tenant, age],
      );
      return row!.id;
    };
    const gone = await audit('365 days 1 minute');
    const kept = await audit('364 days 23 hours');
    await retention(one).runPass();
    expect(await existing('audit_events', 'id', [gone, kept])).toEqual([kept]);
  });

  it("keeps the output of each app's newest finished runs and expires older ones, their rows staying", async () => {
    const tenant = await newTenant(shortPlan); // runRetention 2
    const appId = crypto.randomUUID();
    const otherApp = crypto.randomUUID();
    const run = async (
      app: string,
      minutesAgo: number,
      finished: boolean,
      lines: number,
    ): Promise<string> => {
      const [row]: { id: string }[] = await db.query(
        `INSERT INTO one_off_runs (tenant_id, app_id, release_id, release_version, purpose, command, state,
                                   timeout_seconds, memory_mb, cpu_millis, plan_id, created_by, created_at,
                                   started_at, finished_at)
         VALUES ($1, $2, gen_random_uuid(), 1, 'run', '["true"]', $3, 60, 128, 250, $4, 'test',
                 now() - make_interval(mins => $5), now() - make_interval(mins => $5),
                 CASE WHEN $6 THEN now() - make_interval(mins => $5) + interval '1 second' END)
         RETURNING id::text`,
        [tenant, app, finished ? 'succeeded' : 'running', shortPlan, minutesAgo, finished],
      );
      await db.query(
        `INSERT INTO run_output_lines (run_id, seq, at, stream, text)
         SELECT $1, g, now(), 'stdout', 'line ' || g FROM generate_series(1, $2) g`,
        [row!.id, lines],
      );
      return row!.id;
    };
    const oldest = await run(appId, 50, true, RETENTION_BATCH + 3); // more lines than one statement deletes
    const older = await run(appId, 40, true, 2);
    const active = await run(appId, 30, false, 2); // still running: never counted, never expired
    const newer = await run(appId, 20, true, 2);
    const newest = await run(appId, 10, true, 2);
    const otherAppRun = await run(otherApp, 60, true, 2);

    // Two passes at once (as if the loop's lock were not there): the same outcome.
    const reports = await Promise.all([retention(one).runPass(), retention(two).runPass()]);
    expect(reports.reduce((sum, r) => sum + r.runOutputLines, 0)).toBe(RETENTION_BATCH + 3 + 2);

    const rows: { id: string; expired: boolean; lines: number }[] = await db.query(
      `SELECT r.id::text, r.expired_at IS NOT NULL AS expired,
              (SELECT count(*)::int FROM run_output_lines l WHERE l.run_id = r.id) AS lines
         FROM one_off_runs r WHERE r.tenant_id = $1`,
      [tenant],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(rows).toHaveLength(6);
    for (const id of [oldest, older]) expect(byId.get(id)).toMatchObject({ expired: true, lines: 0 });
    for (const id of [active, newer, newest, otherAppRun]) {
      expect(byId.get(id)).toMatchObject({ expired: false, lines: 2 });
    }
    // Nothing left to do: a third pass expires nothing.
    expect((await retention(one).runPass()).expiredRuns).toBe(0);
  });

  it('two processes running the loop: exactly one holds its lock, and its passes delete', async () => {
    const loopsOn = { runWorkers: true, retentionIntervalMs: 200 };
    const [a, b] = await Promise.all([startProcess(loopsOn), startProcess(loopsOn)]);
    try {
      const tenant = await newTenant(longPlan);
      const [old]: { id: string }[] = await db.query(
        `INSERT INTO audit_events (tenant_id, actor, action, created_at)
         VALUES ($1, 'system', 'test.loop', now() - interval '400 days') RETURNING id::text`,
        [tenant],
      );
      const holders = async () =>
        (
          (await db.query(
            `SELECT count(*)::int AS n FROM pg_locks
              WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = $1::bigint::oid AND objsubid = 1`,
            [LOCK_KEYS.retention],
          )) as { n: number }[]
        )[0]!.n;
      const deadline = Date.now() + 20_000;
      while ((await existing('audit_events', 'id', [old!.id])).length > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await existing('audit_events', 'id', [old!.id])).toEqual([]);
      expect(await holders()).toBe(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    // Both stopped: the lock is free again.
    expect(
      (
        (await db.query(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1::bigint::oid`,
          [LOCK_KEYS.retention],
        )) as { n: number }[]
      )[0]!.n,
    ).toBe(0);
  });
});
