import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/config.js';
import { AppChanges } from '../apps/app-changes.js';
import { ControlLoop } from './control-loop.js';
import { Reconciler } from './reconciler.service.js';

/** Advisory lock ids of Berth's singleton loops. */
export const LOCK_KEYS = {
  reconciler: 7_310_001,
  builds: 7_310_002,
  meter: 7_310_003,
  hostMonitor: 7_310_004,
} as const;

@Injectable()
export class ReconcileLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: ControlLoop;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() dataSource: DataSource,
    reconciler: Reconciler,
    private readonly changes: AppChanges,
  ) {
    this.loop = new ControlLoop({
      name: 'ReconcileLoop',
      lockKey: LOCK_KEYS.reconciler,
      intervalMs: config.reconcileIntervalMs,
      dataSource,
      work: () => reconciler.reconcileAll(),
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.runWorkers) return;
    this.changes.onChange(() => this.loop.wake());
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Asks for a pass now: called after changes of desired state so clients do not wait for the interval. */
  wake(): void {
    this.loop.wake();
  }
}
