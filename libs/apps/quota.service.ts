import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { problems } from '../errors/index.js';
import { type Plan, TenantPlanRepository, type TenantUsage, type TenantUsageReader } from '../plans/index.js';
import { ACTIVE_BUILDS_READER, type ActiveBuildsReader } from './active-builds.js';
import { AppsRepository } from './apps.repository.js';

export interface TenantQuota {
  plan: Plan;
  usage: TenantUsage & { containers: number };
}

/**
 * Counts what a tenant uses against its plan. Memory counts every container that *should* run (web
 * replicas of running apps with a release, plus their load balancers) at the plan's container size, so a
 * request is judged before anything starts.
 */
@Injectable()
export class QuotaService implements TenantUsageReader {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ACTIVE_BUILDS_READER) private readonly builds: ActiveBuildsReader,
    private readonly tenantPlans: TenantPlanRepository,
    private readonly appRows: AppsRepository,
  ) {}

  async usageOf(
    tenantId: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<TenantUsage & { containers: number }> {
    const row = await this.appRows.countsOfTenant(tenantId, manager);
    const runningBuilds = await this.builds.activeBuildsOf(tenantId, manager);
    const plan = await this.tenantPlans.planOf(tenantId, manager);
    return {
      apps: row.apps,
      maxReplicasOfAnyApp: row.maxReplicasOfAnyApp,
      containers: row.containers,
      totalMemoryMb: row.containers * plan.memoryMb,
      loadBalancers: row.loadBalancers,
      runningBuilds,
    };
  }

  async quotaOf(tenantId: string): Promise<TenantQuota> {
    return { plan: await this.tenantPlans.planOf(tenantId), usage: await this.usageOf(tenantId) };
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
   * Refuses a change that would make the tenant's running containers exceed its memory cap.
   * `containersBefore`/`containersAfter` are this app's containers that should run before and after.
   */
  async assertMemory(
    tenantId: string,
    containersBefore: number,
    containersAfter: number,
    manager: EntityManager,
  ): Promise<void> {
    if (containersAfter <= containersBefore) return;
    const usage = await this.usageOf(tenantId, manager);
    const plan = await this.tenantPlans.planOf(tenantId, manager);
    const after = (usage.containers - containersBefore + containersAfter) * plan.memoryMb;
    if (after > plan.maxTotalMemoryMb) {
      throw problems.quotaExceeded('maxTotalMemoryMb', {
        limit: plan.maxTotalMemoryMb,
        current: usage.totalMemoryMb,
        requested: (containersAfter - containersBefore) * plan.memoryMb,
        unit: 'MB',
      });
    }
  }

  async assertCanBuild(tenantId: string, manager: EntityManager = this.dataSource.manager): Promise<void> {
    const usage = await this.usageOf(tenantId, manager);
    const plan = await this.tenantPlans.planOf(tenantId, manager);
    if (usage.runningBuilds + 1 > plan.concurrentBuilds) {
      throw problems.quotaExceeded('concurrentBuilds', {
        limit: plan.concurrentBuilds,
        current: usage.runningBuilds,
        requested: 1,
        unit: 'builds',
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
