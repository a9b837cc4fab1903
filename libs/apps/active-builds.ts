import type { EntityManager } from 'typeorm';

/**
 * The builds a tenant has queued or running, for the concurrent-builds quota. Apps defines this port and
 * the builds domain implements it (builds depends on apps, never the other way): BuildsRepositoryModule
 * provides ACTIVE_BUILDS_READER globally.
 */
export interface ActiveBuildsReader {
  /** Read in the caller's transaction when one is given. */
  activeBuildsOf(tenantId: string, manager?: EntityManager): Promise<number>;
}
export const ACTIVE_BUILDS_READER = Symbol('ACTIVE_BUILDS_READER');
