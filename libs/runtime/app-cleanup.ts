import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { App } from '../apps/index.js';
import { type BlobStore, BLOB_STORE, removeDependencyImages } from '../builds/index.js';
import { type Host, EnginePool, ImageDistribution } from '../hosts/index.js';
import { TenantNetworks } from '../networks/index.js';

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
    private readonly networks: TenantNetworks,
  ) {}

  async finishDeletion(app: App, hosts: Host[]): Promise<void> {
    const images: { image: string }[] = await this.dataSource.query(
      `SELECT DISTINCT image FROM builds WHERE app_id = $1 AND image IS NOT NULL`,
      [app.id],
    );
    for (const host of hosts.filter((h) => h.status !== 'down')) {
      const engine = await this.pool.engineFor(host);
      for (const { image } of images) {
        await engine
          .removeImage({ ref: image, force: true })
          .catch((err) => this.logger.warn(`image ${image}: ${err}`));
      }
      await removeDependencyImages(engine, app.id).catch((err) =>
        this.logger.warn(`dependency images of app ${app.id}: ${err}`),
      );
    }
    // The tenant's networks go (and their subnets back to the pool) on every host where nothing of the
    // tenant is left; on the others another app of the tenant still uses them.
    await this.networks.releaseUnused({ hosts, tenantId: app.tenantId });
    for (const { image } of images) await this.images.forget(image);
    const sources: { key: string }[] = await this.dataSource.query(
      `SELECT source_key AS key FROM builds WHERE app_id = $1`,
      [app.id],
    );
    for (const { key } of sources) await this.blobs.delete(key);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(
        `DELETE FROM build_log_lines WHERE build_id IN (SELECT id FROM builds WHERE app_id = $1)`,
        [app.id],
      );
      await manager.query(`DELETE FROM builds WHERE app_id = $1`, [app.id]);
      await manager.query(`DELETE FROM releases WHERE app_id = $1`, [app.id]);
      await manager.delete(App, app.id);
    });
    this.logger.log(`app ${app.id} deleted`);
  }
}
