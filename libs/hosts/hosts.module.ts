import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EnginePool } from './engine-pool.js';
import { HostGuard } from './host-guard.js';
import { HostMonitor } from './host-monitor.js';
import { Host } from './host.entity.js';
import { HostsService } from './hosts.service.js';
import { ImageDistribution } from './image-distribution.js';
import { RegistryTokenService } from './registry-token.service.js';

/**
 * The Docker host pool: registration and status (HostsService), engines (EnginePool), health
 * (HostMonitor), the network policy on each host (HostGuard), how images reach hosts (ImageDistribution)
 * and the registry's token service (RegistryTokenService).
 */
@Module({
  imports: [TypeOrmModule.forFeature([Host])],
  providers: [EnginePool, HostsService, HostMonitor, HostGuard, ImageDistribution, RegistryTokenService],
  exports: [EnginePool, HostsService, HostGuard, ImageDistribution, RegistryTokenService],
})
export class HostsModule {}
