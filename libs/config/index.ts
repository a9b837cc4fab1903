// The public entry of libs/config: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { BERTH_CONFIG, type BerthConfig, loadConfig } from './config.js';
export {
  BERTH_KEYS,
  type BerthKeys,
  ConfigModule,
  type RegistryCredentials,
  registryCredentials,
} from './config.module.js';
export {
  DEFAULT_REGISTRY_SERVICE,
  DEFAULT_REGISTRY_TOKEN_ISSUER,
  parseRegistrySetting,
  parseRegistryTokenSetting,
  type RegistrySettings,
  type RegistryTokenSettings,
} from './registry-setting.js';
export { canonicalIpv4Cidr, parseEgressDeny, type NetworkPolicyMode } from './network-policy-setting.js';
