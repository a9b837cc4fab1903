/**
 * How an app's replicas are judged healthy: an HTTP GET of `path` on the replica's own published port,
 * healthy when the status is in [statusMin, statusMax]. Stored on the app (what its next release gets) and
 * copied into every release (what that release was rolled out with), so a rollback brings its own check.
 * An app without one is judged as before: its port accepts a connection.
 */
export interface HealthCheckSettings {
  /** Origin-form path (and query) requested on the replica; see HEALTH_CHECK_PATH. */
  path: string;
  statusMin: number;
  statusMax: number;
  /** Pause between two probes of one replica. */
  intervalMs: number;
  /** A probe without a full status line within this is a failure. */
  timeoutMs: number;
  /** After a replica starts, no probe before this (its boot). */
  gracePeriodMs: number;
  /** Consecutive passes that make a starting replica ready. */
  successThreshold: number;
  /** Consecutive failures that make a replica unhealthy (restarted, or its release rolled back). */
  failureThreshold: number;
  /** How long after its rollout a release whose replicas turn unhealthy is rolled back; null: the platform's. */
  rollbackWindowMs: number | null;
}

/** An origin-form path: starts with one `/`, RFC 3986 path and query characters only, no fragment. */
export const HEALTH_CHECK_PATH =
  /^\/(?!\/)[A-Za-z0-9._~!$&'()*+,;=:@%/-]*(\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?$/;

export const HEALTH_CHECK_LIMITS = {
  pathMaxLength: 200,
  status: { min: 100, max: 599 },
  intervalMs: { min: 1000, max: 300_000 },
  timeoutMs: { min: 100, max: 60_000 },
  gracePeriodMs: { min: 0, max: 600_000 },
  threshold: { min: 1, max: 10 },
  rollbackWindowMs: { min: 0, max: 86_400_000 },
} as const;

export const HEALTH_CHECK_DEFAULTS: Omit<HealthCheckSettings, 'path'> = {
  statusMin: 200,
  statusMax: 399,
  intervalMs: 5000,
  timeoutMs: 2000,
  gracePeriodMs: 0,
  successThreshold: 1,
  failureThreshold: 3,
  rollbackWindowMs: null,
};

/** What the DTO cannot say field by field: the status range is ordered, a probe ends before the next. */
export function healthCheckFaults(check: HealthCheckSettings): { field: string; message: string }[] {
  const faults: { field: string; message: string }[] = [];
  if (!HEALTH_CHECK_PATH.test(check.path) || check.path.length > HEALTH_CHECK_LIMITS.pathMaxLength)
    faults.push({ field: 'path', message: 'path must be an origin-form path (/…), at most 200 characters' });
  if (check.statusMin > check.statusMax)
    faults.push({ field: 'statusMin', message: 'statusMin must not be above statusMax' });
  if (check.timeoutMs > check.intervalMs)
    faults.push({ field: 'timeoutMs', message: 'timeoutMs must not be above intervalMs' });
  return faults;
}
