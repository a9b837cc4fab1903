import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppsModule } from '../apps/apps.module.js';
import { BuildsStorageModule } from '../builds/builds-storage.module.js';
import { HostsModule } from '../hosts/hosts.module.js';
import { NetworksModule } from '../networks/index.js';
import { AppCleanup } from './app-cleanup.js';
import { LoadBalancerConfigSync } from './load-balancer-config-sync.js';
import { LoadBalancerManager } from './load-balancer-manager.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { Reconciler } from './reconciler.service.js';
import { ReplicaLifecycle } from './replica-lifecycle.js';
import { ReplicaRun } from './replica-run.entity.js';
import { Replica } from './replica.entity.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Replica, ReplicaRun]),
    AppsModule,
    HostsModule,
    BuildsStorageModule,
    NetworksModule,
  ],
  providers: [
    Reconciler,
    ReplicaLifecycle,
    AppCleanup,
    ReconcileLoop,
    LoadBalancerManager,
    LoadBalancerConfigSync,
  ],
  exports: [Reconciler, ReplicaLifecycle, ReconcileLoop],
})
export class RuntimeModule {}
