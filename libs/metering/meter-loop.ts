import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { UsageMeter } from './usage-meter.js';

/**
 * Runs the usage meter every `meterIntervalMs` in the one process holding the meter's advisory lock.
 * A pass that is still catching up (a long outage, the first start) asks for the next pass at once.
 */
@Injectable()
export class MeterLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loop: ControlLoop;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() dataSource: DataSource,
    meter: UsageMeter,
  ) {
    this.loop = new ControlLoop({
      name: 'MeterLoop',
      lockKey: LOCK_KEYS.meter,
      intervalMs: config.meterIntervalMs,
      dataSource,
      work: async () => {
        const report = await meter.meterUntil(new Date());
        if (!report.caughtUp) this.loop.wake();
      },
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.runWorkers) this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }
}
