// The public entry of libs/runtime: other libs, apps/, test/, bench/ and scripts/ import only from here.
export {
  APP_URLS_READER,
  type AppOverview,
  AppOverviewService,
  type AppUrlsReader,
  type ReplicaOverview,
} from './app-overview.service.js';
export { type AppSummary } from './app-list-rows.js';
export { APP_LIST_CHANGES_CHANNEL, AppListCache } from './app-list-cache.js';
export { TenantListMemo, type TenantListMemoCounts } from './tenant-list-memo.js';
export { AppsFacade } from './apps.facade.js';
export {
  AppWaits,
  MAX_WAIT_MS,
  MAX_WAITS_PER_TENANT,
  type AppWaitResult,
  type WaitTarget,
} from './app-waits.js';
export { RUNTIME_ENTITIES } from './entities.js';
export {
  configHash,
  haproxyGlobalAndDefaults,
  type HaproxyBackend,
  renderHaproxyConfig,
} from './balancer/haproxy-config.js';
export { ContainerHaproxyControl } from './balancer/haproxy-control.js';
export {
  appliedHashOf,
  applyHaproxyConfig,
  configFileText,
  ConfigRejectedError,
  HAPROXY_FILES,
  ReloadFailedError,
} from './balancer/haproxy-reload.js';
export { HostRemoval } from './host-removal.js';
export {
  HAPROXY_UID,
  LB_CONFIG_ENV,
  LB_IMAGE,
  LB_START_COMMAND,
  loadBalancerContainerSpec,
} from './balancer/load-balancer-container.js';
export { LoadBalancerManager } from './balancer/load-balancer-manager.js';
export { acceptsConnections } from './readiness.js';
export { ReconcileLoop, type ReconcilePassRecord } from './reconcile-loop.js';
export { Reconciler } from './reconciler.service.js';
export { APP_PORT, STOP_GRACE_SECONDS } from './replica-role.js';
export { Replica } from './replica.entity.js';
export { ReplicasRepository } from './replicas.repository.js';
export { RuntimeModule } from './runtime.module.js';
