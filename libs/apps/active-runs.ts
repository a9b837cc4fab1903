import type { EntityManager } from 'typeorm';

/**
 * The one-off runs a tenant has starting or running: each is a container at its release's size, counted in
 * the containers and memory quota like a replica. Apps defines this port and libs/runs implements it (runs
 * depends on apps, never the other way): RunsModule provides ACTIVE_RUNS_READER globally. Without it
 * (processes that load no runs module) no run is counted.
 */
export interface ActiveRunsReader {
  /** Read in the caller's transaction when one is given. */
  activeOfTenant(
    tenantId: string,
    manager?: EntityManager,
  ): Promise<{ containers: number; memoryMb: number }>;
}
export const ACTIVE_RUNS_READER = Symbol('ACTIVE_RUNS_READER');
