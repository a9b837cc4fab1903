// The public entry of libs/config: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { BERTH_CONFIG, type BerthConfig, loadConfig } from './config.js';
export { BERTH_KEYS, type BerthKeys, ConfigModule } from './config.module.js';
export { parseRegistrySetting } from './registry-setting.js';
export { canonicalIpv4Cidr, parseEgressDeny, type NetworkPolicyMode } from './network-policy-setting.js';
