import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppChanges } from '../apps/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { EdgeRouter } from './edge-router.js';
import { INGRESS_SETTINGS, type IngressSettings } from './ingress-settings.js';
import { RouterTrafficCollector } from './router-traffic.js';

/** Advisory lock of the router sync: one process configures the routers at a time. */

/**
 * Syncs the edge routers with the database every interval, and at once after an app changes. A replica
 * that starts or leaves rotation reaches the router within one interval; that is why the interval stays
 * well below the reconciler's drain delay (a draining replica still answers until then).
 */
@Injectable()
export class IngressLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: ControlLoop;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(INGRESS_SETTINGS) private readonly settings: IngressSettings,
    @InjectDataSource() dataSource: DataSource,
    private readonly changes: AppChanges,
    router: EdgeRouter,
    traffic: RouterTrafficCollector,
  ) {
    this.loop = new ControlLoop({
      name: 'IngressLoop',
      lockKey: LOCK_KEYS.ingress,
      intervalMs: settings.syncIntervalMs,
      dataSource,
      work: async () => {
        await router.syncAll();
        await traffic.collectAll(); // the bytes of the requests of the routers' logs, for egress usage
      },
    });
  }

  onApplicationBootstrap(): void {
    if (!this.settings.enabled || !this.config.runWorkers) return;
    this.changes.onChange(() => this.loop.wake());
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
