import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { AppsRepository } from '../../libs/apps/index.js';
import { migratedDataSource } from '../support/database.js';

/**
 * Scale to zero's statements on real PostgreSQL (AppsRepository): which apps fall asleep (idle past their
 * time, settled in running, with a release, on a plan that allows it), which sleeping apps wake when
 * their plan stops allowing it, and that a wake and a request in flight count as requests. Rows are the
 * test's own (its plans and tenants), with the ages under test.
 */
describe('app sleep (medium)', () => {
  let db: DataSource;
  let apps: AppsRepository;
  const suffix = crypto.randomBytes(4).toString('hex');
  const sleepyPlan = `sleep-yes-${suffix}`;
  const awakePlan = `sleep-no-${suffix}`;
  let sleepyTenant: string;
  let awakeTenant: string;

  beforeAll(async () => {
    db = await migratedDataSource();
    apps = new AppsRepository(db);
    for (const [id, scaleToZero] of [
      [sleepyPlan, true],
      [awakePlan, false],
    ] as const) {
      await db.query(
        `INSERT INTO plans (id, name, memory_mb, cpu_millis, max_apps, max_replicas_per_app, max_total_memory_mb,
                            load_balancer_allowed, max_upload_mb, build_timeout_seconds, concurrent_builds,
                            scale_to_zero)
         VALUES ($1, 'Sleep test', 128, 250, 10, 2, 4096, false, 10, 60, 2, $2)`,
        [id, scaleToZero],
      );
    }
    const tenant = async (planId: string): Promise<string> =>
      (
        (await db.query(`INSERT INTO tenants (name, plan_id) VALUES ($1, $2) RETURNING id`, [
          `sleep-${crypto.randomBytes(4).toString('hex')}`,
          planId,
        ])) as { id: string }[]
      )[0]!.id;
    sleepyTenant = await tenant(sleepyPlan);
    awakeTenant = await tenant(awakePlan);
  });

  afterAll(async () => {
    await db.query(`DELETE FROM releases WHERE tenant_id = ANY($1)`, [[sleepyTenant, awakeTenant]]);
    await db.query(`DELETE FROM apps WHERE tenant_id = ANY($1)`, [[sleepyTenant, awakeTenant]]);
    await db.query(`DELETE FROM events WHERE tenant_id = ANY($1)`, [[sleepyTenant, awakeTenant]]);
    await db.query(`DELETE FROM tenants WHERE id = ANY($1)`, [[sleepyTenant, awakeTenant]]);
    await db.query(`DELETE FROM plans WHERE id = ANY($1)`, [[sleepyPlan, awakePlan]]);
    await db.destroy();
  });

  interface AppRow {
    tenantId?: string;
    afterIdleSeconds?: number | null;
    /** PostgreSQL intervals before now. */
    lastRequestAgo?: string | null;
    changedAgo?: string;
    phase?: string;
    desiredState?: string;
    release?: boolean;
    sleeping?: boolean;
  }

  /** An app with a release (unless `release: false`), idle as asked; its id. */
  async function app(row: AppRow = {}): Promise<string> {
    const tenantId = row.tenantId ?? sleepyTenant;
    const [{ id }] = (await db.query(
      `INSERT INTO apps (tenant_id, name, desired_state, phase, sleep_after_idle_seconds, last_request_at,
                         updated_at, sleeping_since)
       VALUES ($1, $2, $3, $4, $5, now() - $6::interval, now() - $7::interval,
               CASE WHEN $8 THEN now() - interval '1 minute' END)
       RETURNING id`,
      [
        tenantId,
        `a${crypto.randomBytes(5).toString('hex')}`,
        row.desiredState ?? 'running',
        row.phase ?? 'running',
        row.afterIdleSeconds === undefined ? 300 : row.afterIdleSeconds,
        row.lastRequestAgo === undefined ? '10 minutes' : row.lastRequestAgo,
        row.changedAgo ?? '10 minutes',
        row.sleeping ?? false,
      ],
    )) as { id: string }[];
    if (row.release ?? true) {
      const [release] = (await db.query(
        `INSERT INTO releases (app_id, tenant_id, version, memory_mb, cpu_millis, replicas, description, created_by)
         VALUES ($1, $2, 1, 128, 250, 1, 'test', 'test') RETURNING id`,
        [id, tenantId],
      )) as { id: string }[];
      await db.query(`UPDATE apps SET current_release_id = $2 WHERE id = $1`, [id, release!.id]);
    }
    return id;
  }

  const sleepingSince = async (id: string): Promise<Date | null> =>
    (
      (await db.query(`SELECT sleeping_since FROM apps WHERE id = $1`, [id])) as {
        sleeping_since: Date | null;
      }[]
    )[0]!.sleeping_since;

  it('puts to sleep only apps idle past their time, settled in running, with a release, on a plan that allows it', async () => {
    const idle = await app();
    const neverRequested = await app({ lastRequestAgo: null });
    const recentRequest = await app({ lastRequestAgo: '4 minutes' });
    const recentChange = await app({ changedAgo: '4 minutes' });
    const noSetting = await app({ afterIdleSeconds: null });
    const converging = await app({ phase: 'converging' });
    const stopped = await app({ desiredState: 'stopped', phase: 'stopped' });
    const noRelease = await app({ release: false });
    const otherPlan = await app({ tenantId: awakeTenant });

    const slept = await apps.sleepIdle();
    expect(slept).toEqual(expect.arrayContaining([idle, neverRequested]));
    for (const id of [recentRequest, recentChange, noSetting, converging, stopped, noRelease, otherPlan]) {
      expect(slept).not.toContain(id);
      expect(await sleepingSince(id)).toBeNull();
    }
    const [row] = (await db.query(`SELECT phase, generation FROM apps WHERE id = $1`, [idle])) as {
      phase: string;
      generation: number;
    }[];
    expect(row).toEqual({ phase: 'converging', generation: 1 });
    // A second pass finds nothing more to do for them.
    const again = await apps.sleepIdle();
    expect(again).not.toContain(idle);
    expect(
      ((await db.query(`SELECT type FROM events WHERE app_id = $1`, [idle])) as { type: string }[]).map(
        (e) => e.type,
      ),
    ).toContain('app.slept');
  });

  it('wakes an app once (the wake counts as a request), and sleeping apps whose plan no longer allows it', async () => {
    const asleep = await app({ sleeping: true });
    expect(await apps.wake(asleep)).toBe(true);
    expect(await apps.wake(asleep)).toBe(false);
    const [row] = (await db.query(
      `SELECT last_request_at > now() - interval '5 seconds' AS fresh FROM apps WHERE id = $1`,
      [asleep],
    )) as { fresh: boolean }[];
    expect(row!.fresh).toBe(true);
    // Just woken: not idle, however long ago its last request before the sleep was.
    expect(await apps.sleepIdle()).not.toContain(asleep);

    const forbidden = await app({ tenantId: awakeTenant, sleeping: true });
    const allowed = await app({ sleeping: true });
    const woken = await apps.wakeWherePlanForbids();
    expect(woken).toContain(forbidden);
    expect(woken).not.toContain(allowed);
    expect(await sleepingSince(forbidden)).toBeNull();
    expect(await sleepingSince(allowed)).not.toBeNull();
  });

  it('counts a request in flight (touchRequest) without moving the last request back', async () => {
    const id = await app({ lastRequestAgo: '10 minutes' });
    await apps.touchRequest(id);
    expect(await apps.sleepIdle()).not.toContain(id);
  });
});
