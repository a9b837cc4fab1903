import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppsModule } from '../apps/index.js';
import { BuildsStorageModule } from '../builds/index.js';
import { HostsModule } from '../hosts/index.js';
import { NetworksModule } from '../networks/index.js';
import { AppCleanup } from './app-cleanup.js';
import { AppListCache } from './app-list-cache.js';
import { AppWaits } from './app-waits.js';
import { AppOverviewService } from './app-overview.service.js';
import { AppsFacade } from './apps.facade.js';
import { RolloutGuard } from './auto-rollback.js';
import { HostRemoval } from './host-removal.js';
import { LoadBalancerConfigSync } from './balancer/load-balancer-config-sync.js';
import { LoadBalancerManager } from './balancer/load-balancer-manager.js';
import { RunsModule } from '../runs/index.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { ReleasePhaseGate } from './release-phase.js';
import { Reconciler } from './reconciler.service.js';
import { ReplicaHealth } from './replica-health.js';
import { ReplicaLifecycle } from './replica-lifecycle.js';
import { ReadinessWatch } from './readiness-watch.js';
import { ReplicaRun } from './replica-run.entity.js';
import { Replica } from './replica.entity.js';
import { ReplicasRepository } from './replicas.repository.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Replica, ReplicaRun]),
    AppsModule,
    HostsModule,
    BuildsStorageModule,
    NetworksModule,
    RunsModule,
  ],
  providers: [
    Reconciler,
    ReleasePhaseGate,
    ReplicaLifecycle,
    ReadinessWatch,
    AppCleanup,
    ReconcileLoop,
    LoadBalancerManager,
    LoadBalancerConfigSync,
    AppOverviewService,
    AppListCache,
    AppsFacade,
    AppWaits,
    HostRemoval,
    ReplicasRepository,
    ReplicaHealth,
    RolloutGuard,
  ],
  exports: [
    Reconciler,
    ReplicaLifecycle,
    ReconcileLoop,
    AppOverviewService,
    AppListCache,
    AppsFacade,
    AppWaits,
    HostRemoval,
    ReplicasRepository,
  ],
})
export class RuntimeModule {}
