import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull, type EntityManager } from 'typeorm';
import { App, type AppPhase } from './app.entity.js';
import type { HealthCheckSettings } from './health-check.js';
import type { AppDemand } from './memory-demand.js';

/** What the apps of one tenant ask for, summed for its quotas. */
export interface TenantAppCounts {
  apps: number;
  maxReplicasOfAnyApp: number;
  /**
   * Containers that should run: web replicas and balancers of every running app, those not started yet
   * (no release so far, or still converging) included.
   */
  containers: number;
  /** Their memory in MB: each at its current release's size, or the plan's size before a first release. */
  memoryMb: number;
  loadBalancers: number;
}

/** What a change of desired state may write (markChanged). */
export type DesiredChange = Partial<
  Pick<
    App,
    | 'replicas'
    | 'desiredState'
    | 'restartRequestedAt'
    | 'loadBalancer'
    | 'deletingAt'
    | 'name'
    | 'currentReleaseId'
    | 'envSealed'
    | 'healthCheck'
    | 'lastAutoRollback'
    | 'sleepAfterIdleSeconds'
    | 'sleepingSince'
  >
>;

/** What one reconcile pass found, written back for GET /v1/apps/{app}/status. */
export interface ObservedStatus {
  appId: string;
  /** The generation the pass read: a later change is not reported by it. */
  generation: number;
  phase: AppPhase;
  reason: string | null;
  /** The pass settled (anything but converging): the generation it read is observed. */
  settled: boolean;
}

/**
 * Every read and write of the `apps` row. Two writers meet on its status: a change of what should run
 * (`markChanged`: the generation moves on, the app is converging again) and the reconciler's report
 * (`reportStatus`: only for the generation it acted on). A method that joins the caller's transaction
 * takes its EntityManager.
 */
@Injectable()
export class AppsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A new app, not yet running anything. */
  insert(
    manager: EntityManager,
    app: Pick<App, 'tenantId' | 'name' | 'replicas' | 'desiredState'>,
  ): Promise<App> {
    return manager.save(manager.create(App, { ...app, phase: 'stopped' }));
  }

  /** The app, deleted or not; null when its row is gone. */
  byId(id: string, manager: EntityManager = this.dataSource.manager): Promise<App | null> {
    return manager.findOne(App, { where: { id } });
  }

  /** The app's row locked for the rest of the caller's transaction. */
  lockById(manager: EntityManager, id: string): Promise<App> {
    return manager.findOneOrFail(App, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** These apps, deleted or not; a missing row is left out. */
  byIds(ids: string[]): Promise<App[]> {
    return this.dataSource.getRepository(App).find({ where: { id: In(ids) } });
  }

  /** Of these apps, the ids whose row exists and is not being deleted (the log watchers' one read). */
  async presentAmong(ids: string[]): Promise<Set<string>> {
    const rows = await this.dataSource
      .getRepository(App)
      .find({ where: { id: In(ids), deletingAt: IsNull() }, select: { id: true } });
    return new Set(rows.map((r) => r.id));
  }

  /** Every app, being deleted ones included (the reconciler finishes their deletion). */
  all(): Promise<App[]> {
    return this.dataSource.getRepository(App).find();
  }

  /** The tenant's app by name, unless it is being deleted. */
  findOfTenant(
    tenantId: string,
    name: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<App | null> {
    return manager.findOne(App, { where: { tenantId, name, deletingAt: IsNull() } });
  }

  /** The tenant's app by id, unless it is being deleted. */
  findOfTenantById(tenantId: string, id: string): Promise<App | null> {
    return this.dataSource.getRepository(App).findOne({ where: { id, tenantId, deletingAt: IsNull() } });
  }

  /** The tenant's app by name, being deleted or not (usage outlives the app). */
  findAnyOfTenant(tenantId: string, name: string): Promise<App | null> {
    return this.dataSource.getRepository(App).findOne({ where: { tenantId, name } });
  }

  /** When the app's deletion was asked (null: not asked); undefined when its row is gone. */
  async deletionOf(id: string): Promise<Date | null | undefined> {
    const app = await this.dataSource
      .getRepository(App)
      .findOne({ where: { id }, select: { id: true, deletingAt: true } });
    return app ? app.deletingAt : undefined;
  }

  /**
   * The tenant's apps (not being deleted) summed for its quotas, in the caller's transaction. The sums
   * follow memory-demand.ts (containersWanted, memoryWanted); `planMemoryMb` sizes apps without a release.
   */
  async countsOfTenant(
    tenantId: string,
    planMemoryMb: number,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<TenantAppCounts> {
    const [row]: TenantAppCounts[] = await manager.query(
      `WITH wanted AS (
         SELECT a.replicas, a.load_balancer,
                CASE WHEN a.desired_state = 'running'
                     THEN a.replicas + (CASE WHEN a.load_balancer IS NULL THEN 0 ELSE 1 END) ELSE 0 END AS containers,
                coalesce(r.memory_mb, $2) AS size_mb
           FROM apps a LEFT JOIN releases r ON r.id = a.current_release_id
          WHERE a.tenant_id = $1 AND a.deleting_at IS NULL)
       SELECT count(*)::int AS apps,
              coalesce(max(replicas), 0)::int AS "maxReplicasOfAnyApp",
              coalesce(sum(containers), 0)::int AS containers,
              coalesce(sum(containers * size_mb), 0)::int AS "memoryMb",
              count(load_balancer)::int AS "loadBalancers"
         FROM wanted`,
      [tenantId, planMemoryMb],
    );
    return row!;
  }

  /** The tenant's apps (not being deleted) whose current release runs at another size than `size`. */
  async idsWithReleaseSizedOtherThan(
    manager: EntityManager,
    tenantId: string,
    size: { memoryMb: number; cpuMillis: number },
  ): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `SELECT a.id FROM apps a JOIN releases r ON r.id = a.current_release_id
        WHERE a.tenant_id = $1 AND a.deleting_at IS NULL AND (r.memory_mb <> $2 OR r.cpu_millis <> $3)
        ORDER BY a.id`,
      [tenantId, size.memoryMb, size.cpuMillis],
    );
    return rows.map((r) => r.id);
  }

  /** What the app asks to run, with its current release's container size, in the caller's transaction. */
  async demandOf(manager: EntityManager, appId: string): Promise<AppDemand> {
    const [row]: AppDemand[] = await manager.query(
      `SELECT a.desired_state AS "desiredState", a.replicas, a.load_balancer IS NOT NULL AS "loadBalancer",
              r.memory_mb AS "releaseMemoryMb"
         FROM apps a LEFT JOIN releases r ON r.id = a.current_release_id
        WHERE a.id = $1`,
      [appId],
    );
    return row!;
  }

  /** Replaces the app's sealed env vars (no new generation by itself: a release carries them out). */
  async setEnv(manager: EntityManager, id: string, envSealed: string): Promise<void> {
    await manager.update(App, id, { envSealed });
  }

  /** Replaces the app's health check (no new generation by itself: a release carries it out). */
  async setHealthCheck(
    manager: EntityManager,
    id: string,
    healthCheck: HealthCheckSettings | null,
  ): Promise<void> {
    await manager.update(App, id, { healthCheck });
  }

  /**
   * A change of what should run: `changes` are written, the generation moves past the one `app` was read
   * at (read it locked, in the same transaction), and the app is converging again until the reconciler
   * reports on the new generation.
   */
  async markChanged(
    manager: EntityManager,
    app: Pick<App, 'id' | 'generation'>,
    changes: DesiredChange,
  ): Promise<void> {
    await manager.update(App, app.id, {
      ...changes,
      generation: app.generation + 1,
      phase: 'converging',
      statusReason: null,
    });
  }

  /**
   * The reconciler's report. Written only while the app is still at the generation the pass read: a change
   * made during the pass (a build's new release, a scale) was not acted on, so the pass must neither report
   * on it nor mark it observed. Its own pass will.
   */
  async reportStatus(status: ObservedStatus): Promise<void> {
    await this.dataSource.query(
      `UPDATE apps SET phase = $2, status_reason = $3,
              observed_generation = CASE WHEN $4 THEN generation ELSE observed_generation END
        WHERE id = $1 AND generation = $5`,
      [status.appId, status.phase, status.reason, status.settled, status.generation],
    );
  }

  // TypeORM answers an UPDATE … RETURNING with [rows, affected count].

  /**
   * Puts to sleep every app idle for its `sleep_after_idle_seconds` (no request counted by the router, and
   * no change of what should run, for that long) whose plan allows it; only apps settled in `running`
   * (a rollout or a crash loop is not idleness). Each gets a new generation: its replicas go. Returns their ids.
   */
  async sleepIdle(): Promise<string[]> {
    const [rows]: [{ id: string }[], number] = await this.dataSource.query(
      `UPDATE apps a SET sleeping_since = now(), generation = a.generation + 1, phase = 'converging',
              status_reason = NULL, updated_at = now()
         FROM tenants t JOIN plans p ON p.id = t.plan_id
        WHERE t.id = a.tenant_id AND p.scale_to_zero
          AND a.sleep_after_idle_seconds IS NOT NULL AND a.sleeping_since IS NULL
          AND a.desired_state = 'running' AND a.deleting_at IS NULL AND a.current_release_id IS NOT NULL
          AND a.phase = 'running'
          AND greatest(coalesce(a.last_request_at, '-infinity'), a.updated_at)
              < now() - make_interval(secs => a.sleep_after_idle_seconds)
        RETURNING a.id`,
    );
    return rows.map((row) => row.id);
  }

  /**
   * Wakes sleeping apps whose plan no longer allows sleeping (a plan change): they run again. Returns
   * their ids.
   */
  async wakeWherePlanForbids(): Promise<string[]> {
    const [rows]: [{ id: string }[], number] = await this.dataSource.query(
      `UPDATE apps a SET sleeping_since = NULL, generation = a.generation + 1, phase = 'converging',
              status_reason = NULL, updated_at = now()
         FROM tenants t JOIN plans p ON p.id = t.plan_id
        WHERE t.id = a.tenant_id AND NOT p.scale_to_zero AND a.sleeping_since IS NOT NULL
        RETURNING a.id`,
    );
    return rows.map((row) => row.id);
  }

  /**
   * Wakes the app when it sleeps (a new generation: its replicas start); false when it was awake. The
   * request that woke it counts as one, so the app is not put back to sleep before it is answered.
   */
  async wake(id: string): Promise<boolean> {
    const [rows]: [{ id: string }[], number] = await this.dataSource.query(
      `UPDATE apps SET sleeping_since = NULL, generation = generation + 1, phase = 'converging',
              status_reason = NULL, updated_at = now(), last_request_at = now()
        WHERE id = $1 AND sleeping_since IS NOT NULL AND deleting_at IS NULL
        RETURNING id`,
      [id],
    );
    return rows.length > 0;
  }

  /**
   * A request is in flight now (the waker forwards one): the router counts requests only once they end,
   * so a held request would otherwise not keep its app awake.
   */
  async touchRequest(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE apps SET last_request_at = greatest(last_request_at, now()) WHERE id = $1`,
      [id],
    );
  }

  /** The app's row, in the caller's transaction (the end of its deletion). */
  /** The release phase's command for the app's next releases (null: package.json's, if any). */
  async setReleaseCommand(manager: EntityManager, id: string, command: string[] | null): Promise<void> {
    await manager.query(`UPDATE apps SET release_command = $2::jsonb, updated_at = now() WHERE id = $1`, [
      id,
      command === null ? null : JSON.stringify(command),
    ]);
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(App, id);
  }
}
