// The public entry of libs/runtime: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { type AppOverview, type ReplicaOverview } from './app-overview.service.js';
export { AppsFacade } from './apps.facade.js';
export { RUNTIME_ENTITIES } from './entities.js';
export { configHash, type HaproxyBackend, renderHaproxyConfig } from './haproxy-config.js';
export { ContainerHaproxyControl } from './haproxy-control.js';
export {
  appliedHashOf,
  applyHaproxyConfig,
  configFileText,
  ConfigRejectedError,
  HAPROXY_FILES,
  ReloadFailedError,
} from './haproxy-reload.js';
export { HostRemoval } from './host-removal.js';
export { LB_IMAGE, loadBalancerContainerSpec } from './load-balancer-container.js';
export { LoadBalancerManager } from './load-balancer-manager.js';
export { acceptsConnections } from './readiness.js';
export { Reconciler } from './reconciler.service.js';
export { APP_PORT, STOP_GRACE_SECONDS } from './replica-lifecycle.js';
export { Replica } from './replica.entity.js';
export { RuntimeModule } from './runtime.module.js';
