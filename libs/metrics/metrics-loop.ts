import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { MetricsSampler } from './metrics-sampler.js';
import { RETENTION_BATCH, ReplicaSamplesRepository } from './replica-samples.repository.js';

/** Retention batches per pass at most; a backlog beyond that is worked off over the next passes. */
const RETENTION_BATCHES_PER_PASS = 20;

/**
 * Samples every started replica every `metricsIntervalMs` in the one process holding the metrics lock,
 * then deletes samples older than the retention in batches.
 */
@Injectable()
export class MetricsLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('MetricsLoop');
  private readonly loop: ControlLoop;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() dataSource: DataSource,
    sampler: MetricsSampler,
    samples: ReplicaSamplesRepository,
  ) {
    this.loop = new ControlLoop({
      name: 'MetricsLoop',
      lockKey: LOCK_KEYS.metrics,
      intervalMs: config.metricsIntervalMs,
      dataSource,
      work: async () => {
        const report = await sampler.samplePass();
        if (report.sampled || report.failed)
          this.logger.debug(`sampled ${report.sampled}, failed ${report.failed}`);
        const cutoff = new Date(Date.now() - config.metricsRetentionHours * 3_600_000);
        for (let batch = 0; batch < RETENTION_BATCHES_PER_PASS; batch += 1) {
          if ((await samples.deleteBatchBefore(cutoff)) < RETENTION_BATCH) break;
        }
      },
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.runWorkers) this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Samples soon instead of at the next interval (tests, a dashboard that just opened). */
  wake(): void {
    this.loop.wake();
  }
}
