import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, type EntityManager } from 'typeorm';
import { App, type AppPhase } from './app.entity.js';

/** What the apps of one tenant ask for, summed for its quotas. */
export interface TenantAppCounts {
  apps: number;
  maxReplicasOfAnyApp: number;
  /** Containers that should run: web replicas of running apps with a release, plus their balancers. */
  containers: number;
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

  /** The tenant's apps by name, without those being deleted. */
  listOfTenant(tenantId: string): Promise<App[]> {
    return this.dataSource.getRepository(App).find({
      where: { tenantId, deletingAt: IsNull() },
      order: { name: 'ASC' },
    });
  }

  /** When the app's deletion was asked (null: not asked); undefined when its row is gone. */
  async deletionOf(id: string): Promise<Date | null | undefined> {
    const app = await this.dataSource
      .getRepository(App)
      .findOne({ where: { id }, select: { id: true, deletingAt: true } });
    return app ? app.deletingAt : undefined;
  }

  /** The tenant's apps (not being deleted) summed for its quotas, in the caller's transaction. */
  async countsOfTenant(
    tenantId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<TenantAppCounts> {
    const [row]: TenantAppCounts[] = await manager.query(
      `SELECT count(*)::int AS apps,
              coalesce(max(replicas), 0)::int AS "maxReplicasOfAnyApp",
              coalesce(sum(CASE WHEN desired_state = 'running' AND current_release_id IS NOT NULL
                               THEN replicas + (CASE WHEN load_balancer IS NULL THEN 0 ELSE 1 END) ELSE 0 END), 0)::int AS containers,
              count(load_balancer)::int AS "loadBalancers"
         FROM apps WHERE tenant_id = $1 AND deleting_at IS NULL`,
      [tenantId],
    );
    return row!;
  }

  /** Replaces the app's sealed env vars (no new generation by itself: a release carries them out). */
  async setEnv(manager: EntityManager, id: string, envSealed: string): Promise<void> {
    await manager.update(App, id, { envSealed });
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

  /** The app's row, in the caller's transaction (the end of its deletion). */
  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(App, id);
  }
}
