// The public entry of libs/apps: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { ACTIVE_BUILDS_READER, type ActiveBuildsReader } from './active-builds.js';
export { ACTIVE_RUNS_READER, type ActiveRunsReader } from './active-runs.js';
export { AppChanges } from './app-changes.js';
export { ENV_LIMITS, envVarFaults, type EnvVars } from './app-env.js';
export { App, type AutomaticRollback, type LoadBalancerSettings } from './app.entity.js';
export { AppsModule } from './apps.module.js';
export { AppsRepository, type ObservedStatus } from './apps.repository.js';
export { AppsService, MAX_IDLE_SECONDS } from './apps.service.js';
export { APPS_ENTITIES } from './entities.js';
export {
  HEALTH_CHECK_DEFAULTS,
  HEALTH_CHECK_LIMITS,
  HEALTH_CHECK_PATH,
  healthCheckFaults,
  type HealthCheckSettings,
} from './health-check.js';
export { IdempotencyService, requestFingerprint } from './idempotency.service.js';
export { QuotaService } from './quota.service.js';
export { PACKAGE_RELEASE_COMMAND, RELEASE_SCRIPT, releaseCommandFor } from './release-command.js';
export { Release, type ReleasePhase } from './release.entity.js';
export { ReleasePhaseRecords } from './release-phase-records.js';
export { ReleasesService } from './releases.service.js';
