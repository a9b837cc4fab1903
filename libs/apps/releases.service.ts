import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull, LessThan, Not, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { ProblemError, problems } from '../errors/index.js';
import { actorOf, type Principal } from '../identity/index.js';
import { type PlanSize, type TenantReleaseResizer, TenantPlanRepository } from '../plans/index.js';
import { AppChanges } from './app-changes.js';
import type { App, AutomaticRollback } from './app.entity.js';
import { AppsRepository } from './apps.repository.js';
import { QuotaService } from './quota.service.js';
import { Release } from './release.entity.js';
import { releaseCommandFor } from './release-command.js';
import { BERTH_KEYS, type BerthKeys } from '../config/index.js';

/**
 * Releases: what an app runs. Every new release (a build's, an env change's, a rollback, a plan's resize)
 * is judged by the memory quota under the tenant lock, at the container size the release records: that
 * size is what its replicas and balancer run with and what their usage is metered at.
 */
@Injectable()
export class ReleasesService implements TenantReleaseResizer {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(BERTH_KEYS) private readonly keys: BerthKeys,
    private readonly audit: AuditService,
    private readonly changes: AppChanges,
    private readonly tenantPlans: TenantPlanRepository,
    private readonly appRows: AppsRepository,
    private readonly quota: QuotaService,
  ) {}

  list(app: App): Promise<Release[]> {
    return this.dataSource
      .getRepository(Release)
      .find({ where: { appId: app.id }, order: { version: 'DESC' } });
  }

  async byId(id: string | null): Promise<Release | null> {
    return id ? this.dataSource.getRepository(Release).findOne({ where: { id } }) : null;
  }

  /** Releases by id (those that exist), for views that join many apps or replicas with theirs. */
  byIds(ids: string[]): Promise<Release[]> {
    return ids.length === 0
      ? Promise.resolve([])
      : this.dataSource.getRepository(Release).findBy({ id: In(ids) });
  }

  /**
   * For build retention, in the caller's transaction: the releases that keep their image (the current one
   * and the newest `keep` by version). Called with the app's row locked, as rollback reads its target.
   */
  keptForRetention(manager: EntityManager, app: App, keep: number): Promise<Release[]> {
    return manager
      .createQueryBuilder(Release, 'r')
      .where('r.app_id = :appId', { appId: app.id })
      .andWhere(
        '(r.id = :current OR r.version > (SELECT coalesce(max(m.version), 0) FROM releases m WHERE m.app_id = :appId) - :keep)',
        { current: app.currentReleaseId, keep },
      )
      .getMany();
  }

  /** Marks the app's releases of these images as expired (build retention deletes the images next). */
  async markImagesRemoved(manager: EntityManager, appId: string, images: string[]): Promise<void> {
    if (images.length === 0) return;
    await manager.query(
      `UPDATE releases SET image_removed_at = now()
        WHERE app_id = $1 AND image = ANY($2::varchar[]) AND image_removed_at IS NULL`,
      [appId, images],
    );
  }

  /** Every release of the app, in the caller's transaction (the end of the app's deletion). */
  async deleteOfApp(manager: EntityManager, appId: string): Promise<void> {
    await manager.delete(Release, { appId });
  }

  /**
   * A successful build of `app` becomes its next release and what the reconciler rolls out. Refused with
   * quota_exceeded (maxTotalMemoryMb) when the release's size would take the tenant past its cap; the
   * build runner then fails the build with that reason and nothing new runs.
   */
  async createFromBuild(
    manager: EntityManager,
    app: App,
    build: { id: string; image: string; imageDigest?: string | undefined; releaseScript?: boolean },
    actor: string,
  ): Promise<Release> {
    return this.append(
      manager,
      app,
      {
        buildId: build.id,
        image: build.image,
        imageDigest: build.imageDigest ?? null,
        description: `build ${build.id.slice(0, 8)}`,
        releaseCommand: releaseCommandFor(null, build.releaseScript ?? false),
      },
      actor,
    );
  }

  createFromEnvChange(manager: EntityManager, app: App, actor: string): Promise<Release> {
    return this.createFromConfigChange(manager, app, actor, 'env change');
  }

  /** The current image again with the app's settings as they now are (env, health check). */
  async createFromConfigChange(
    manager: EntityManager,
    app: App,
    actor: string,
    description: string,
  ): Promise<Release> {
    const current = await manager.findOneOrFail(Release, { where: { id: app.currentReleaseId! } });
    return this.append(
      manager,
      app,
      {
        buildId: current.buildId,
        image: current.image,
        imageDigest: current.imageDigest,
        description,
        releaseCommand: current.releaseCommand,
      },
      actor,
    );
  }

  /**
   * Makes vN+1 from an old release and restores exactly what it recorded: image, env, container size and
   * replica count.
   */
  async rollback(principal: Principal, app: App, version: number): Promise<Release> {
    const release = await this.dataSource.transaction(async (manager) => {
      await this.quota.lockTenant(manager, app.tenantId);
      const locked = await this.appRows.lockById(manager, app.id);
      // Read under the app's lock, which build retention takes to mark images it is about to delete: a
      // rollback either sees the mark or commits first (and retention then keeps its image).
      const target = await manager.findOne(Release, { where: { appId: app.id, version } });
      if (!target) throw problems.notFound('release', `v${version}`);
      if (target.imageRemovedAt) {
        throw problems.gone(
          'release_expired',
          `Release v${version}'s image was deleted by build retention on ${target.imageRemovedAt.toISOString()}; roll back to a newer release`,
        );
      }
      // The old release comes back at the size and replica count it recorded, maybe a bigger plan's.
      const before = await this.quota.demandOf(manager, app.id);
      await this.quota.assertMemory(
        app.tenantId,
        before,
        { ...before, replicas: target.replicas, releaseMemoryMb: target.memoryMb },
        manager,
      );
      const next = await this.nextVersion(manager, app.id);
      const release = await manager.save(
        manager.create(Release, {
          appId: app.id,
          tenantId: app.tenantId,
          version: next,
          buildId: target.buildId,
          image: target.image,
          imageDigest: target.imageDigest,
          envSealed: target.envSealed,
          memoryMb: target.memoryMb,
          cpuMillis: target.cpuMillis,
          replicas: target.replicas,
          healthCheck: target.healthCheck,
          description: `rollback to v${target.version}`,
          createdBy: actorOf(principal),
        }),
      );
      await this.appRows.markChanged(manager, locked, {
        currentReleaseId: release.id,
        envSealed: target.envSealed,
        healthCheck: target.healthCheck,
        replicas: target.replicas,
      });
      await this.audit.record(
        {
          tenantId: app.tenantId,
          actor: actorOf(principal),
          action: 'release.rollback',
          target: `app:${app.id}`,
          data: { to: target.version, release: next },
        },
        manager,
      );
      await this.changes.notify(app.id, manager);
      return release;
    });
    return release;
  }

  /** Marks the release's rollout complete, once: its rollback window counts from this instant. */
  async markRolledOut(releaseId: string, at: Date): Promise<void> {
    await this.dataSource
      .getRepository(Release)
      .update({ id: releaseId, rolledOutAt: IsNull() }, { rolledOutAt: at });
  }

  /**
   * The reconciler's automatic rollback: `failedReleaseId`, still the app's current release, is marked
   * failed (never a target again) and the app goes back to the newest earlier release that has not failed
   * — that release itself, not a copy, so its replicas still serving stay fresh and are not replaced — with
   * the env and health check it recorded. Same quota rule as a manual rollback. Audit event
   * `release.auto_rollback`. Null when nothing was rolled back: the app moved on meanwhile, there is no
   * earlier release, or the quota refuses it (the release is still marked failed, so it is not retried).
   */
  async rollBackAutomatically(
    appId: string,
    failedReleaseId: string,
    reason: string,
  ): Promise<AutomaticRollback | null> {
    return this.dataSource.transaction(async (manager) => {
      const unlocked = await this.appRows.byId(appId, manager);
      if (!unlocked) return null;
      await this.quota.lockTenant(manager, unlocked.tenantId);
      const app = await this.appRows.lockById(manager, appId);
      if (app.currentReleaseId !== failedReleaseId || app.deletingAt) return null;
      const failed = await manager.findOneOrFail(Release, { where: { id: failedReleaseId } });
      await manager.update(Release, failed.id, { failureReason: reason.slice(0, 500) });
      const target = await manager.findOne(Release, {
        where: { appId, version: LessThan(failed.version), failureReason: IsNull(), image: Not(IsNull()) },
        order: { version: 'DESC' },
      });
      if (!target) return null;
      try {
        const before = await this.quota.demandOf(manager, app.id);
        await this.quota.assertMemory(
          app.tenantId,
          before,
          { ...before, releaseMemoryMb: target.memoryMb },
          manager,
        );
      } catch (err) {
        if (err instanceof ProblemError) return null;
        throw err;
      }
      const rollback: AutomaticRollback = {
        reason,
        fromVersion: failed.version,
        toVersion: target.version,
        at: new Date().toISOString(),
      };
      await this.appRows.markChanged(manager, app, {
        currentReleaseId: target.id,
        envSealed: target.envSealed,
        healthCheck: target.healthCheck,
        lastAutoRollback: rollback,
      });
      await this.audit.record(
        {
          tenantId: app.tenantId,
          actor: 'system:health-check',
          action: 'release.auto_rollback',
          target: `app:${app.id}`,
          data: { ...rollback },
        },
        manager,
      );
      await this.changes.notify(app.id, manager);
      return rollback;
    });
  }

  /**
   * After a plan switch (in its transaction, the tenant already on `plan`): every app whose current release
   * runs at another size gets vN+1 of the same image at the plan's size, so what runs, and what is metered,
   * follows the plan. The switch has checked that the tenant fits the plan at that size.
   */
  async resizeTenant(
    manager: EntityManager,
    tenantId: string,
    plan: PlanSize,
    actor: string,
  ): Promise<number> {
    const appIds = await this.appRows.idsWithReleaseSizedOtherThan(manager, tenantId, plan);
    for (const appId of appIds) {
      const locked = await this.appRows.lockById(manager, appId);
      const current = await manager.findOneOrFail(Release, { where: { id: locked.currentReleaseId! } });
      await this.append(
        manager,
        locked,
        {
          buildId: current.buildId,
          image: current.image,
          imageDigest: current.imageDigest,
          description: `resized to ${plan.memoryMb} MB for plan ${plan.id}`,
          // Same code and env at another size: nothing for a release command to do.
          releaseCommand: null,
          skipReleasePhase: true,
        },
        actor,
      );
      await this.changes.notify(appId, manager);
    }
    return appIds.length;
  }

  private async append(
    manager: EntityManager,
    app: Pick<App, 'id' | 'tenantId'>,
    source: {
      buildId: string | null;
      image: string | null;
      imageDigest: string | null;
      description: string;
      /** The build's (or source release's) command; the app's API-set command wins over it. */
      releaseCommand: string[] | null;
      skipReleasePhase?: boolean;
    },
    actor: string,
  ): Promise<Release> {
    await this.quota.lockTenant(manager, app.tenantId);
    const locked = await this.appRows.lockById(manager, app.id);
    const plan = await this.tenantPlans.planOf(app.tenantId, manager);
    const before = await this.quota.demandOf(manager, app.id);
    await this.quota.assertMemory(
      app.tenantId,
      before,
      { ...before, releaseMemoryMb: plan.memoryMb },
      manager,
    );
    const release = await manager.save(
      manager.create(Release, {
        appId: app.id,
        tenantId: app.tenantId,
        version: await this.nextVersion(manager, app.id),
        buildId: source.buildId,
        image: source.image,
        imageDigest: source.imageDigest,
        envSealed: locked.envSealed,
        memoryMb: plan.memoryMb,
        cpuMillis: plan.cpuMillis,
        replicas: locked.replicas,
        healthCheck: locked.healthCheck,
        description: source.description,
        createdBy: actor,
        ...releasePhaseOf(source.skipReleasePhase ? null : (locked.releaseCommand ?? source.releaseCommand)),
      }),
    );
    await this.appRows.markChanged(manager, locked, { currentReleaseId: release.id });
    return release;
  }

  private async nextVersion(manager: EntityManager, appId: string): Promise<number> {
    const [row] = await manager.query(
      'SELECT coalesce(max(version), 0) + 1 AS next FROM releases WHERE app_id = $1',
      [appId],
    );
    return Number(row.next);
  }

  /** For rollback and env: the sealed env a release recorded, opened. */
  envOf(release: Release): Record<string, string> {
    return release.envSealed
      ? (JSON.parse(this.keys.secretBox.open(release.envSealed, `app-env:${release.appId}`)) as Record<
          string,
          string
        >)
      : {};
  }
}

function releasePhaseOf(command: string[] | null): Pick<Release, 'releaseCommand' | 'releasePhase'> {
  return command
    ? { releaseCommand: command, releasePhase: 'pending' }
    : { releaseCommand: null, releasePhase: null };
}
