// The public entry of libs/hosts: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { TEST_RUN_LABEL } from './engine-labels.js';
export { EnginePool } from './engine-pool.js';
export { HOSTS_ENTITIES } from './entities.js';
export { parseHostEndpoint, type HostEndpoint } from './host-endpoint.js';
export { HostGuard } from './host-guard.js';
export {
  HOST_GUARD_LABEL,
  hostGuardId,
  type NetworkPolicyReport,
  type NetworkPolicyState,
} from './host-guard-spec.js';
export { HostMonitor } from './host-monitor.js';
export { Host, type HostStatus } from './host.entity.js';
export { HostsModule } from './hosts.module.js';
export { HostsService } from './hosts.service.js';
export { ImageDistribution } from './image-distribution.js';
export { RegistryTokenService, type RegistryTokenGrant } from './registry-token.service.js';
export {
  RegistryTokenSigner,
  grantedAccess,
  libtrustKeyId,
  parseScope,
  registryTokenClaims,
  type RegistryCredentialKind,
} from './registry-tokens.js';
