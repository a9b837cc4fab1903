import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { AppChanges } from '../apps/index.js';
import { EnginePool } from '../hosts/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { EngineEventWatch } from './engine-event-watch.js';
import { Reconciler } from './reconciler.service.js';

@Injectable()
export class ReconcileLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: ControlLoop;
  private readonly events: EngineEventWatch;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() dataSource: DataSource,
    reconciler: Reconciler,
    pool: EnginePool,
    private readonly changes: AppChanges,
  ) {
    // Docker events (a container died, was OOM-killed) wake the loop; the interval is the safety net.
    this.events = new EngineEventWatch(pool, () => this.loop.wake());
    this.loop = new ControlLoop({
      name: 'ReconcileLoop',
      lockKey: LOCK_KEYS.reconciler,
      intervalMs: config.reconcileIntervalMs,
      dataSource,
      work: async () => {
        await reconciler.reconcileAll();
        await this.events.ensure(await pool.hosts());
      },
    });
  }

  onApplicationBootstrap(): void {
    if (!this.config.runWorkers) return;
    this.changes.onChange(() => this.loop.wake());
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    // The loop first: a pass still running would otherwise open new event streams after events.stop().
    await this.loop.stop();
    this.events.stop();
  }

  /** Asks for a pass now: called after changes of desired state so clients do not wait for the interval. */
  wake(): void {
    this.loop.wake();
  }
}
