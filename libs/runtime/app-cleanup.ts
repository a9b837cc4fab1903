import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type App, AppsRepository, ReleasesService } from '../apps/index.js';
import {
  type BlobStore,
  BLOB_STORE,
  BuildLogStore,
  BuildsRepository,
  removeDependencyImages,
} from '../builds/index.js';
import { type Host, EnginePool, ImageDistribution } from '../hosts/index.js';
import { TenantNetworks } from '../networks/index.js';
import { RunsRepository, RunsService } from '../runs/index.js';

/**
 * The end of an app's deletion, once its containers are gone: its images on every host and in the
 * registry, its source blobs, builds and releases, its one-off runs stopped and their output. Replica rows and
 * their runs (and one-off run rows) stay: they are the tenant's usage history.
 */
@Injectable()
export class AppCleanup {
  private readonly logger = new Logger('AppCleanup');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pool: EnginePool,
    private readonly images: ImageDistribution,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly networks: TenantNetworks,
    private readonly builds: BuildsRepository,
    private readonly buildLogs: BuildLogStore,
    private readonly appRows: AppsRepository,
    private readonly releases: ReleasesService,
    private readonly runs: RunsService,
    private readonly runRows: RunsRepository,
  ) {}

  async finishDeletion(app: App, hosts: Host[]): Promise<void> {
    await this.runs.stopAllOfApp(app.id);
    const images = await this.builds.imagesOfApp(app.id);
    await this.images.removeEverywhere({ refs: images, hosts });
    for (const host of hosts.filter((h) => h.status !== 'down')) {
      const engine = await this.pool.engineFor(host);
      await removeDependencyImages(engine, app.id).catch((err) =>
        this.logger.warn(`dependency images of app ${app.id}: ${err}`),
      );
    }
    // The tenant's networks go (and their subnets back to the pool) on every host where nothing of the
    // tenant is left; on the others another app of the tenant still uses them.
    await this.networks.releaseUnused({ hosts, tenantId: app.tenantId });
    for (const key of await this.builds.sourceKeysOfApp(app.id)) await this.blobs.delete(key);
    await this.dataSource.transaction(async (manager) => {
      await this.buildLogs.deleteOfApp(manager, app.id);
      await this.runRows.deleteOutputOfApp(manager, app.id);
      await this.builds.deleteOfApp(manager, app.id);
      await this.releases.deleteOfApp(manager, app.id);
      await this.appRows.delete(manager, app.id);
    });
    this.logger.log(`app ${app.id} deleted`);
  }
}
