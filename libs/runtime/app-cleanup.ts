import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type App, AppsRepository, ReleasesService } from '../apps/index.js';
import { type BlobStore, BLOB_STORE, BuildLogStore, BuildsRepository } from '../builds/index.js';
import { tenantNetworkName } from '../engine/index.js';
import { type Host, EnginePool, ImageDistribution } from '../hosts/index.js';

/**
 * The end of an app's deletion, once its containers are gone: its images on every host and in the
 * registry, its source blobs, builds and releases. Replica rows and their runs stay: they are the tenant's usage history.
 */
@Injectable()
export class AppCleanup {
  private readonly logger = new Logger('AppCleanup');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pool: EnginePool,
    private readonly images: ImageDistribution,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly builds: BuildsRepository,
    private readonly buildLogs: BuildLogStore,
    private readonly appRows: AppsRepository,
    private readonly releases: ReleasesService,
  ) {}

  async finishDeletion(app: App, hosts: Host[]): Promise<void> {
    const images = await this.builds.imagesOfApp(app.id);
    // The tenant's network stays while the tenant has other apps: one of them may be creating a replica on
    // it right now (Docker only refuses removal once a container is attached, not between create and start).
    const others = await this.appRows.countOthersOfTenant(app.tenantId, app.id);
    for (const host of hosts.filter((h) => h.status !== 'down')) {
      const engine = await this.pool.engineFor(host);
      for (const image of images) {
        await engine
          .removeImage({ ref: image, force: true })
          .catch((err) => this.logger.warn(`image ${image}: ${err}`));
      }
      // The tenant's network goes once nothing uses it; Docker refuses (409) while containers are attached,
      // which means another app of the tenant still runs on that host.
      if (others === 0)
        await engine.removeNetwork({ name: tenantNetworkName(app.tenantId) }).catch(() => undefined);
    }
    for (const image of images) await this.images.forget(image);
    for (const key of await this.builds.sourceKeysOfApp(app.id)) await this.blobs.delete(key);
    await this.dataSource.transaction(async (manager) => {
      await this.buildLogs.deleteOfApp(manager, app.id);
      await this.builds.deleteOfApp(manager, app.id);
      await this.releases.deleteOfApp(manager, app.id);
      await this.appRows.delete(manager, app.id);
    });
    this.logger.log(`app ${app.id} deleted`);
  }
}
