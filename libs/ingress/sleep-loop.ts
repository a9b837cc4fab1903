import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppChanges, AppsRepository } from '../apps/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { INGRESS_SETTINGS, type IngressSettings } from './ingress-settings.js';

/**
 * Scale to zero: every BERTH_SLEEP_CHECK_MS, one process puts to sleep the apps idle for longer than
 * their `sleepAfterIdleSeconds` (AppsRepository.sleepIdle) and wakes sleeping apps whose plan no longer
 * allows it. The reconciler then removes (or starts) their replicas. Runs only with the edge router on:
 * without it nothing would wake a sleeping app.
 */
@Injectable()
export class SleepLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SleepLoop');
  private readonly loop: ControlLoop;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(INGRESS_SETTINGS) private readonly settings: IngressSettings,
    @InjectDataSource() dataSource: DataSource,
    private readonly apps: AppsRepository,
    private readonly changes: AppChanges,
  ) {
    this.loop = new ControlLoop({
      name: 'SleepLoop',
      lockKey: LOCK_KEYS.sleep,
      intervalMs: config.sleepCheckIntervalMs,
      dataSource,
      work: async () => {
        await this.pass();
      },
    });
  }

  onApplicationBootstrap(): void {
    if (!this.settings.enabled || !this.config.runWorkers) return;
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** One look: the ids put to sleep and woken. */
  async pass(): Promise<{ slept: string[]; woken: string[] }> {
    const slept = await this.apps.sleepIdle();
    const woken = await this.apps.wakeWherePlanForbids();
    for (const id of [...slept, ...woken]) await this.changes.notify(id);
    if (slept.length > 0) this.logger.log(`${slept.length} idle app(s) put to sleep`);
    if (woken.length > 0)
      this.logger.log(`${woken.length} app(s) woken: their plan no longer lets them sleep`);
    return { slept, woken };
  }
}
