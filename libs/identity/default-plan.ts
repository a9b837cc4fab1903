import type { EntityManager } from 'typeorm';

/**
 * The plan a new tenant starts on. Identity defines this port and the plans domain implements it (plans
 * depends on identity, never the other way): PlansModule provides DEFAULT_PLAN_READER globally.
 */
export interface DefaultPlanReader {
  /** The id of the current default plan, read in the caller's transaction; undefined when none is set. */
  defaultPlanId(manager: EntityManager): Promise<string | undefined>;
}
export const DEFAULT_PLAN_READER = Symbol('DEFAULT_PLAN_READER');
