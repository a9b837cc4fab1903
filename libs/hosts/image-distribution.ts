import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import {
  type ContainerEngine,
  type ImagePath,
  RegistryClient,
  ensureImage,
  publishImage,
} from '../engine/index.js';
import { EnginePool } from './engine-pool.js';
import type { Host } from './host.entity.js';

/**
 * How images get to the hosts that run them. With BERTH_REGISTRY, every build is pushed to the registry
 * and hosts pull from it (a release stays deployable when the host that built it is gone); without one,
 * or while the registry fails, a host that lacks an image loads it from one that has it (save → load).
 */
@Injectable()
export class ImageDistribution implements OnApplicationBootstrap {
  private readonly logger = new Logger('ImageDistribution');
  private readonly registryClient: RegistryClient | undefined;
  private deletesRefused = false;

  constructor(
    private readonly pool: EnginePool,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
  ) {
    this.registryClient = config.registry ? new RegistryClient(config.registry) : undefined;
  }

  /** Says at start whether the configured registry answers (it is not required to: see ensureImage). */
  onApplicationBootstrap(): void {
    if (!this.registryClient) return;
    void this.registryClient.ping().then(
      () => this.logger.log(`images move through registry ${this.registry}`),
      (error: Error) =>
        this.logger.warn(
          `registry ${this.registry} does not answer (${error.message}); images move host to host until it does`,
        ),
    );
  }

  /** The registry address engines push to and pull from, when one is configured. */
  get registry(): string | undefined {
    return this.config.registry?.address;
  }

  /** Makes sure `host` has image `ref`, from the registry or from another host that is not down. */
  async ensureOn(host: Host, ref: string): Promise<ImagePath> {
    const target = await this.pool.engineFor(host);
    const others = (await this.pool.hosts()).filter((h) => h.id !== host.id && h.status !== 'down');
    const { path } = await ensureImage({
      ref,
      target,
      sources: await Promise.all(others.map((h) => this.pool.engineFor(h))),
      ...(this.registry === undefined ? {} : { registry: this.registry }),
      onWarning: (message) => this.logger.warn(message),
    });
    if (path !== 'present') {
      const from = path === 'registry' ? 'the registry' : 'another host';
      this.logger.log(`image ${ref} reached host ${host.name} from ${from}`);
    }
    return path;
  }

  /** Pushes a freshly built image to the registry; undefined (and nothing done) without one. */
  async publish(options: {
    engine: ContainerEngine;
    ref: string;
    signal?: AbortSignal;
  }): Promise<{ remote: string } | undefined> {
    if (this.registry === undefined) return undefined;
    return publishImage({ ...options, registry: this.registry });
  }

  /** Deletes `ref` from the registry (nothing without one). Failures are logged: deletion goes on. */
  async forget(ref: string): Promise<void> {
    if (!this.registryClient) return;
    try {
      const outcome = await this.registryClient.deleteImage(ref);
      if (outcome === 'not-allowed' && !this.deletesRefused) {
        this.deletesRefused = true;
        this.logger.warn(
          `registry ${this.registry} refuses deletes (storage.delete.enabled is off): deleted apps' images stay in it`,
        );
      }
    } catch (error) {
      this.logger.warn(`could not delete ${ref} from registry ${this.registry}: ${(error as Error).message}`);
    }
  }
}
