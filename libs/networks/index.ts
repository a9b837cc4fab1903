// The public API of libs/networks: tenant networks on subnets from Berth's own pool.
export { NetworksModule } from './networks.module.js';
export { SubnetPoolExhaustedError, TENANT_SUBNET_POOL, TenantNetworks } from './tenant-networks.service.js';
export { SubnetPoolOverlapError } from './subnet-pool-check.js';
export { TenantSubnetsRepository } from './tenant-subnets.repository.js';
export { TenantSubnet } from './tenant-subnet.entity.js';
export {
  SubnetPoolError,
  containersPerSubnet,
  formatBlock,
  parseBlock,
  parseSubnetPool,
  subnetCount,
  type Ipv4Block,
  type SubnetPool,
} from './subnet-pool.js';
export { NETWORKS_ENTITIES } from './entities.js';
