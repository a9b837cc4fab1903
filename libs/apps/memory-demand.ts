import type { App } from './app.entity.js';

/**
 * What one app asks to run, for the memory quota: its desired state, replicas and balancer, and the
 * container size of its current release (null before its first release: the release a build will make
 * runs at the plan's size, so that is what it is counted at).
 */
export interface AppDemand {
  desiredState: App['desiredState'];
  replicas: number;
  loadBalancer: boolean;
  releaseMemoryMb: number | null;
}

/** Containers the app wants: replicas and balancer of a running app, whether or not they run yet. */
export function containersWanted(app: AppDemand): number {
  if (app.desiredState !== 'running') return 0;
  return app.replicas + (app.loadBalancer ? 1 : 0);
}

/** Memory the app wants, in MB: every wanted container (the balancer too) at its release's size. */
export function memoryWanted(app: AppDemand, planMemoryMb: number): number {
  return containersWanted(app) * (app.releaseMemoryMb ?? planMemoryMb);
}

export interface MemoryCheck {
  /** The tenant's wanted memory now, this app included, in MB. */
  tenantMemoryMb: number;
  before: AppDemand | null;
  after: AppDemand;
  planMemoryMb: number;
  maxTotalMemoryMb: number;
}

/**
 * The memory a change adds and the tenant's total after it; `fits` is false when the change grows the
 * tenant beyond its cap. A change that does not grow the tenant always fits, so a tenant already over
 * (an operator lowered the plan) can still scale down, stop or roll back to something smaller.
 */
export function memoryAfterChange(check: MemoryCheck): {
  requestedMb: number;
  totalMb: number;
  fits: boolean;
} {
  const beforeMb = check.before ? memoryWanted(check.before, check.planMemoryMb) : 0;
  const requestedMb = memoryWanted(check.after, check.planMemoryMb) - beforeMb;
  const totalMb = check.tenantMemoryMb + requestedMb;
  return { requestedMb, totalMb, fits: requestedMb <= 0 || totalMb <= check.maxTotalMemoryMb };
}
