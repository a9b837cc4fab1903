import { Module } from '@nestjs/common';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { HostsModule } from '../hosts/index.js';
import { SubnetPoolCheck } from './subnet-pool-check.js';
import { parseSubnetPool } from './subnet-pool.js';
import { TENANT_SUBNET_POOL, TenantNetworks } from './tenant-networks.service.js';
import { TenantSubnetsRepository } from './tenant-subnets.repository.js';

/**
 * Tenant networks: subnets allocated from Berth's own pool, recorded per (host, tenant). A malformed
 * pool fails here while the application is created; an overlapping one in SubnetPoolCheck, at start.
 */
@Module({
  imports: [HostsModule],
  providers: [
    {
      provide: TENANT_SUBNET_POOL,
      inject: [BERTH_CONFIG],
      useFactory: (config: BerthConfig) =>
        parseSubnetPool({ range: config.tenantSubnets, subnetPrefix: config.tenantSubnetPrefix }),
    },
    TenantSubnetsRepository,
    TenantNetworks,
    SubnetPoolCheck,
  ],
  exports: [TenantNetworks, TenantSubnetsRepository],
})
export class NetworksModule {}
