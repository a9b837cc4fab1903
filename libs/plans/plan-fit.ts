import type { EntityManager } from 'typeorm';
import type { Plan } from './plan.entity.js';

/** What a tenant uses right now, measured against its plan's limits. */
export interface TenantUsage {
  apps: number;
  /** The largest replica count of any one app. */
  maxReplicasOfAnyApp: number;
  /**
   * Memory of every container a running app wants (web replicas and load balancers, started yet or not),
   * each at the size its release records, in MB.
   */
  totalMemoryMb: number;
  loadBalancers: number;
  runningBuilds: number;
}

export interface PlanViolation {
  quota: string;
  limit: number;
  current: number;
}

/**
 * The limits of `plan` that `usage` does not fit. Memory is recomputed at the new plan's container size:
 * a switch re-sizes every release to it (TenantReleaseResizer), and the tenant's total must fit the new cap.
 */
export function planViolations(plan: Plan, usage: TenantUsage, containers: number): PlanViolation[] {
  const violations: PlanViolation[] = [];
  if (usage.apps > plan.maxApps)
    violations.push({ quota: 'maxApps', limit: plan.maxApps, current: usage.apps });
  if (usage.maxReplicasOfAnyApp > plan.maxReplicasPerApp) {
    violations.push({
      quota: 'maxReplicasPerApp',
      limit: plan.maxReplicasPerApp,
      current: usage.maxReplicasOfAnyApp,
    });
  }
  const memoryAtPlan = containers * plan.memoryMb;
  if (memoryAtPlan > plan.maxTotalMemoryMb) {
    violations.push({ quota: 'maxTotalMemoryMb', limit: plan.maxTotalMemoryMb, current: memoryAtPlan });
  }
  if (usage.loadBalancers > 0 && !plan.loadBalancerAllowed) {
    violations.push({ quota: 'loadBalancerAllowed', limit: 0, current: usage.loadBalancers });
  }
  return violations;
}

/** Reads a tenant's current use; implemented by the apps domain, which owns what is counted. */
export interface TenantUsageReader {
  /** Read in the caller's transaction when one is given. */
  usageOf(tenantId: string, manager?: EntityManager): Promise<TenantUsage & { containers: number }>;
}
export const TENANT_USAGE_READER = Symbol('TENANT_USAGE_READER');

export type PlanSize = Pick<Plan, 'id' | 'memoryMb' | 'cpuMillis'>;

/** Re-sizes a tenant's releases to its new plan (implemented by the apps domain, which owns releases). */
export interface TenantReleaseResizer {
  /** In the plan switch's transaction; returns how many apps got a new release. */
  resizeTenant(manager: EntityManager, tenantId: string, plan: PlanSize, actor: string): Promise<number>;
}
export const TENANT_RELEASE_RESIZER = Symbol('TENANT_RELEASE_RESIZER');
