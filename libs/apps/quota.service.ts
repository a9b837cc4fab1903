import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { problems } from '../errors/index.js';
import { Tenant } from '../identity/index.js';
import { type Plan, TenantPlanRepository, type TenantUsage, type TenantUsageReader } from '../plans/index.js';
import { ACTIVE_BUILDS_READER, type ActiveBuildsReader } from './active-builds.js';
import { ACTIVE_RUNS_READER, type ActiveRunsReader } from './active-runs.js';
import { AppsRepository } from './apps.repository.js';
import { type AppDemand, memoryAfterChange } from './memory-demand.js';

export interface TenantQuota {
  plan: Plan;
  usage: TenantUsage & { containers: number };
}

/**
 * Counts what a tenant uses against its plan. Memory counts every container a running app wants (web
 * replicas and balancer, started or not, a first release still to come included) at the size its
 * release records (the plan's size before a first release), so a request is judged before anything starts
 * and by what would really run. Every change of what runs checks here inside `lockTenant`'s transaction.
 */
@Injectable()
export class QuotaService implements TenantUsageReader {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ACTIVE_BUILDS_READER) private readonly builds: ActiveBuildsReader,
    private readonly tenantPlans: TenantPlanRepository,
    private readonly appRows: AppsRepository,
    @Optional() @Inject(ACTIVE_RUNS_READER) private readonly runs?: ActiveRunsReader,
  ) {}

  /**
   * Serialises the tenant's quota-relevant changes for the rest of the caller's transaction: two
   * concurrent scale-ups (or uploads) cannot both slip under a cap.
   */
  async lockTenant(manager: EntityManager, tenantId: string): Promise<void> {
    await manager.findOne(Tenant, { where: { id: tenantId }, lock: { mode: 'pessimistic_write' } });
  }

  async usageOf(
    tenantId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<TenantUsage & { containers: number }> {
    const plan = await this.tenantPlans.planOf(tenantId, manager);
    const row = await this.appRows.countsOfTenant(tenantId, plan.memoryMb, manager);
    const runningBuilds = await this.builds.activeBuildsOf(tenantId, manager);
    const runs = (await this.runs?.activeOfTenant(tenantId, manager)) ?? { containers: 0, memoryMb: 0 };
    return {
      apps: row.apps,
      maxReplicasOfAnyApp: row.maxReplicasOfAnyApp,
      containers: row.containers + runs.containers,
      totalMemoryMb: row.memoryMb + runs.memoryMb,
      loadBalancers: row.loadBalancers,
      runningBuilds,
    };
  }

  async quotaOf(tenantId: string): Promise<TenantQuota> {
    return { plan: await this.tenantPlans.planOf(tenantId), usage: await this.usageOf(tenantId) };
  }

  /** What the app asks to run now, at its current release's size (see memory-demand.ts). */
  demandOf(manager: EntityManager, appId: string): Promise<AppDemand> {
    return this.appRows.demandOf(manager, appId);
  }

  /** Refuses an app beyond the plan's app count. */
  async assertCanCreateApp(tenantId: string, manager: EntityManager): Promise<void> {
    const usage = await this.usageOf(tenantId, manager);
    const plan = await this.tenantPlans.planOf(tenantId, manager);
    if (usage.apps + 1 > plan.maxApps) {
      throw problems.quotaExceeded('maxApps', {
        limit: plan.maxApps,
        current: usage.apps,
        requested: 1,
        unit: 'apps',
      });
    }
  }

  assertReplicas(plan: Plan, replicas: number): void {
    if (replicas > plan.maxReplicasPerApp) {
      throw problems.quotaExceeded('maxReplicasPerApp', {
        limit: plan.maxReplicasPerApp,
        current: 0,
        requested: replicas,
        unit: 'replicas',
      });
    }
  }

  /**
   * Refuses a change of one app from `before` (null: a new app) to `after` that would grow the tenant's
   * wanted memory beyond its plan's cap. Call it inside `lockTenant`'s transaction.
   */
  async assertMemory(
    tenantId: string,
    before: AppDemand | null,
    after: AppDemand,
    manager: EntityManager,
  ): Promise<void> {
    const plan = await this.tenantPlans.planOf(tenantId, manager);
    const usage = await this.usageOf(tenantId, manager);
    const change = memoryAfterChange({
      tenantMemoryMb: usage.totalMemoryMb,
      before,
      after,
      planMemoryMb: plan.memoryMb,
      maxTotalMemoryMb: plan.maxTotalMemoryMb,
    });
    if (!change.fits) {
      throw problems.quotaExceeded('maxTotalMemoryMb', {
        limit: plan.maxTotalMemoryMb,
        current: usage.totalMemoryMb,
        requested: change.requestedMb,
        unit: 'MB',
      });
    }
  }

  /**
   * Refuses a build beyond the plan's concurrent builds (queued, running and still uploading count).
   * 429: a slot frees up when one of them ends. Call it inside `lockTenant`'s transaction, with the
   * build's row reserved in the same one.
   */
  async assertCanBuild(tenantId: string, manager: EntityManager): Promise<void> {
    const usage = await this.usageOf(tenantId, manager);
    const plan = await this.tenantPlans.planOf(tenantId, manager);
    if (usage.runningBuilds + 1 > plan.concurrentBuilds) {
      throw problems.quotaExceeded(
        'concurrentBuilds',
        { limit: plan.concurrentBuilds, current: usage.runningBuilds, requested: 1, unit: 'builds' },
        429,
      );
    }
  }

  /**
   * Refuses a one-off run (one more container of `memoryMb`) that would take the tenant beyond its memory
   * cap. Call it inside `lockTenant`'s transaction, with the run's row inserted in the same one.
   */
  async assertCanRun(tenantId: string, memoryMb: number, manager: EntityManager): Promise<void> {
    const plan = await this.tenantPlans.planOf(tenantId, manager);
    const usage = await this.usageOf(tenantId, manager);
    if (usage.totalMemoryMb + memoryMb > plan.maxTotalMemoryMb) {
      throw problems.quotaExceeded('maxTotalMemoryMb', {
        limit: plan.maxTotalMemoryMb,
        current: usage.totalMemoryMb,
        requested: memoryMb,
        unit: 'MB',
      });
    }
  }

  assertLoadBalancerAllowed(plan: Plan): void {
    if (!plan.loadBalancerAllowed) {
      throw problems.quotaExceeded('loadBalancerAllowed', {
        limit: 0,
        current: 0,
        requested: 1,
        unit: 'load balancers',
      });
    }
  }
}
