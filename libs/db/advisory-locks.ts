/**
 * The first key of every two-key transaction advisory lock Berth takes (`pg_advisory_xact_lock(class,
 * key)`), in one list so two purposes never share a class and serialize (or deadlock) each other by
 * chance. Single-key session locks of the control loops are LOCK_KEYS in libs/control-loop; PostgreSQL
 * keeps the one-key and two-key spaces apart.
 */
export const LOCK_CLASSES = {
  /** Per app: one balancer reload sequence at a time across processes. */
  balancerReload: 7_310_100,
  /** One build claim at a time, so per-tenant concurrency limits hold across claimers. */
  buildClaim: 7_310_200,
  /** Handing out a new tenant subnet from the pool. */
  subnetAllocation: 7_310_201,
  /** Per (host, tenant): ensuring or releasing that tenant's network on that host. */
  tenantNetwork: 7_310_202,
  /** Per tenant: taking a log stream slot. */
  streamSlots: 7_310_203,
  /** Per tenant: claiming a custom domain. */
  domainClaims: 7_310_204,
} as const;
