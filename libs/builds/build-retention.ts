import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppsRepository, ReleasesService } from '../apps/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { type Host, EnginePool, ImageDistribution } from '../hosts/index.js';
import type { BlobStore } from './blob-store.js';
import { BuildLogStore } from './build-log.store.js';
import { planBuildRetention, type RetentionPlan } from './build-retention-plan.js';
import { BLOB_STORE } from './builds-storage.module.js';
import { BuildsRepository } from './builds.repository.js';

/** Apps one pass works on, and builds (and images) per app: a pass stays short, the rest follows soon. */
export const RETENTION_APPS_PER_PASS = 10;
export const RETENTION_BUILDS_PER_APP = 25;
/** When a pass left work behind (more apps or builds than a batch), the next one starts this soon. */
const CATCH_UP_DELAY_MS = 1000;

export interface RetentionPassReport {
  apps: number;
  expiredBuilds: number;
  removedImages: number;
  /** Images some host still has (its engine failed): tried again next pass. */
  failedImages: number;
  more: boolean;
}

/**
 * Build retention (per app, the plan's `buildRetention` newest finished builds are kept; see
 * planBuildRetention for what expires and which images stay). A ControlLoop: one process at a time runs
 * it (its advisory lock), every `BERTH_BUILD_RETENTION_MS`, sooner while work is left. Each step is
 * idempotent, so a pass that dies half-way is finished by the next: releases are marked first (under the
 * app's row lock, which rollback takes too, so a rollback never resurrects an image being deleted), then
 * sources and log lines are deleted and the builds marked expired, then images go from every host that is
 * not down and from the registry, and their builds are marked once no host failed.
 */
@Injectable()
export class BuildRetention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('BuildRetention');
  private readonly loop: ControlLoop;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly builds: BuildsRepository,
    private readonly logs: BuildLogStore,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly appRows: AppsRepository,
    private readonly releases: ReleasesService,
    private readonly pool: EnginePool,
    private readonly images: ImageDistribution,
  ) {
    this.loop = new ControlLoop({
      name: 'BuildRetention',
      lockKey: LOCK_KEYS.buildRetention,
      intervalMs: config.buildRetentionIntervalMs,
      dataSource,
      work: async () => {
        const report = await this.runPass();
        return report.more ? { nextPassInMs: CATCH_UP_DELAY_MS } : undefined;
      },
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.runWorkers) this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** One pass over the apps that have retention work (at most RETENTION_APPS_PER_PASS of them). */
  async runPass(): Promise<RetentionPassReport> {
    const due = await this.builds.appsDueForRetention(RETENTION_APPS_PER_PASS);
    const report: RetentionPassReport = {
      apps: due.length,
      expiredBuilds: 0,
      removedImages: 0,
      failedImages: 0,
      more: due.length === RETENTION_APPS_PER_PASS,
    };
    if (due.length === 0) return report;
    const hosts = await this.pool.hosts();
    for (const { appId, keep } of due) {
      const outcome = await this.expireOfApp(appId, keep, hosts).catch((error: Error) => {
        this.logger.warn(`app ${appId}: ${error.message}`);
        return undefined;
      });
      if (!outcome) continue;
      report.expiredBuilds += outcome.plan.expire.length;
      report.removedImages += outcome.plan.removeImages.length - outcome.failed.length;
      report.failedImages += outcome.failed.length;
      report.more ||= outcome.plan.more;
    }
    // Catch up soon only while passes make progress: an image a host keeps refusing waits for the interval.
    if (report.expiredBuilds + report.removedImages === 0) report.more = false;
    if (report.expiredBuilds + report.removedImages + report.failedImages > 0) {
      this.logger.log(
        `expired ${report.expiredBuilds} builds and deleted ${report.removedImages} images of ${report.apps} apps` +
          (report.failedImages > 0 ? ` (${report.failedImages} images to try again)` : ''),
      );
    }
    return report;
  }

  private async expireOfApp(
    appId: string,
    keep: number,
    hosts: Host[],
  ): Promise<{ plan: RetentionPlan; failed: string[] }> {
    const plan = await this.dataSource.transaction(async (manager) => {
      const app = await this.appRows.lockById(manager, appId);
      const plan = planBuildRetention({
        keep,
        builds: await this.builds.retentionCandidates(manager, appId, keep, RETENTION_BUILDS_PER_APP),
        releases: await this.releases.keptForRetention(manager, app, keep),
        currentReleaseId: app.currentReleaseId,
        batch: RETENTION_BUILDS_PER_APP,
      });
      await this.releases.markImagesRemoved(
        manager,
        appId,
        plan.removeImages.map((i) => i.image),
      );
      return plan;
    });
    for (const key of await this.builds.sourceKeysOf(plan.expire)) await this.blobs.delete(key);
    await this.logs.deleteOfBuilds(plan.expire);
    await this.builds.markExpired(plan.expire);
    if (plan.removeImages.length === 0) return { plan, failed: [] };
    const { failed } = await this.images.removeEverywhere({
      refs: plan.removeImages.map((i) => i.image),
      hosts,
      keepDigests: plan.keptDigests,
    });
    const removed = plan.removeImages.filter((i) => !failed.includes(i.image));
    await this.builds.markImageRemoved(removed.flatMap((i) => i.buildIds));
    return { plan, failed };
  }
}
