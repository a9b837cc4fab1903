import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { problems } from '../errors/index.js';
import { actorOf, type Principal, Tenant } from '../identity/index.js';
import { TenantPlanRepository } from '../plans/index.js';
import { AppChanges } from './app-changes.js';
import type { App } from './app.entity.js';
import { AppsRepository } from './apps.repository.js';
import { Release } from './release.entity.js';
import { BERTH_KEYS, type BerthKeys } from '../config/index.js';

@Injectable()
export class ReleasesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(BERTH_KEYS) private readonly keys: BerthKeys,
    private readonly audit: AuditService,
    private readonly changes: AppChanges,
    private readonly tenantPlans: TenantPlanRepository,
    private readonly appRows: AppsRepository,
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

  /** Every release of the app, in the caller's transaction (the end of the app's deletion). */
  async deleteOfApp(manager: EntityManager, appId: string): Promise<void> {
    await manager.delete(Release, { appId });
  }

  /** A successful build of `app` becomes its next release and what the reconciler rolls out. */
  async createFromBuild(
    manager: EntityManager,
    app: App,
    build: { id: string; image: string; imageDigest?: string | undefined },
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
      },
      actor,
    );
  }

  async createFromEnvChange(manager: EntityManager, app: App, actor: string): Promise<Release> {
    const current = await manager.findOneOrFail(Release, { where: { id: app.currentReleaseId! } });
    return this.append(
      manager,
      app,
      {
        buildId: current.buildId,
        image: current.image,
        imageDigest: current.imageDigest,
        description: 'env change',
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
      await manager.findOne(Tenant, { where: { id: app.tenantId }, lock: { mode: 'pessimistic_write' } });
      const target = await manager.findOne(Release, { where: { appId: app.id, version } });
      if (!target) throw problems.notFound('release', `v${version}`);
      const locked = await this.appRows.lockById(manager, app.id);
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
          description: `rollback to v${target.version}`,
          createdBy: actorOf(principal),
        }),
      );
      await this.appRows.markChanged(manager, locked, {
        currentReleaseId: release.id,
        envSealed: target.envSealed,
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

  private async append(
    manager: EntityManager,
    app: App,
    source: { buildId: string | null; image: string | null; imageDigest: string | null; description: string },
    actor: string,
  ): Promise<Release> {
    const locked = await this.appRows.lockById(manager, app.id);
    const plan = await this.tenantPlans.planOf(app.tenantId, manager);
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
        description: source.description,
        createdBy: actor,
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
