import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import {
  type ContainerEngine,
  type ImagePath,
  type PublishedImage,
  RegistryClient,
  type RegistryTarget,
  ensureImage,
  publishImage,
} from '../engine/index.js';
import { EnginePool } from './engine-pool.js';
import type { Host } from './host.entity.js';
import { RegistryTokenService } from './registry-token.service.js';

/**
 * How images get to the hosts that run them. With BERTH_REGISTRY, every build is pushed to the registry
 * and hosts pull from it (a release stays deployable when the host that built it is gone), a release's
 * image by the digest its push recorded; without one, or while the registry fails, a host that lacks an
 * image loads it from one that has it (save → load). With token auth, every engine call carries a token
 * the control plane signed for that one repository: pull only for a pull, push for a push.
 */
@Injectable()
export class ImageDistribution implements OnApplicationBootstrap {
  private readonly logger = new Logger('ImageDistribution');
  private readonly registryClient: RegistryClient | undefined;
  private readonly target: RegistryTarget | undefined;
  private deletesRefused = false;

  constructor(
    private readonly pool: EnginePool,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    tokens: RegistryTokenService,
  ) {
    const registry = config.registry;
    const authorize = tokens.enabled ? tokens.authorize : undefined;
    this.target = registry ? { address: registry.address, ...(authorize ? { authorize } : {}) } : undefined;
    this.registryClient = registry ? new RegistryClient(registry, authorize) : undefined;
  }

  /** Says at start whether the configured registry answers (it is not required to: see ensureImage). */
  onApplicationBootstrap(): void {
    if (!this.registryClient) return;
    if (!this.config.registry?.token) {
      this.logger.warn(
        `registry ${this.registry} is used without token auth (BERTH_REGISTRY_TOKEN_KEY): whoever reaches it can read and overwrite every image`,
      );
    }
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

  /**
   * Makes sure `host` has image `ref`, from the registry or from another host that is not down. With
   * `digest` (a release's), the registry is asked for exactly that manifest, never for what the tag names.
   */
  async ensureOn(host: Host, ref: string, digest?: string | null): Promise<ImagePath> {
    const target = await this.pool.engineFor(host);
    const others = (await this.pool.hosts()).filter((h) => h.id !== host.id && h.status !== 'down');
    const { path } = await ensureImage({
      ref,
      target,
      sources: await Promise.all(others.map((h) => this.pool.engineFor(h))),
      ...(this.target === undefined ? {} : { registry: this.target }),
      ...(digest ? { digest } : {}),
      onWarning: (message) => this.logger.warn(message),
    });
    if (path !== 'present') {
      const from = path === 'registry' ? 'the registry' : 'another host';
      this.logger.log(`image ${ref} reached host ${host.name} from ${from}`);
    }
    return path;
  }

  /**
   * Pushes a freshly built image to the registry and returns the manifest digest the registry stored
   * (what the release records); undefined (and nothing done) without a registry.
   */
  async publish(options: {
    engine: ContainerEngine;
    ref: string;
    signal?: AbortSignal;
  }): Promise<PublishedImage | undefined> {
    if (this.target === undefined) return undefined;
    return publishImage({ ...options, registry: this.target });
  }

  /**
   * Deletes images from every given host that is not down (absent counts as deleted) and then from the
   * registry (`forget`): an app's deletion and build retention. Returns the refs some host still has
   * (its engine refused or failed; logged), so a caller that must know can try again later.
   */
  async removeEverywhere(options: {
    refs: string[];
    hosts: Host[];
    keepDigests?: ReadonlySet<string>;
  }): Promise<{ failed: string[] }> {
    const failed = new Set<string>();
    for (const host of options.hosts.filter((h) => h.status !== 'down')) {
      for (const ref of options.refs) {
        await this.pool
          .engineFor(host)
          .then((engine) => engine.removeImage({ ref, force: true }))
          .catch((err) => {
            failed.add(ref);
            this.logger.warn(`image ${ref} on host ${host.name}: ${err}`);
          });
      }
    }
    for (const ref of options.refs) {
      await this.forget(ref, options.keepDigests ? { keepDigests: options.keepDigests } : {});
    }
    return { failed: [...failed] };
  }

  /** Deletes `ref` from the registry (nothing without one). Failures are logged: deletion goes on. */
  async forget(ref: string, options: { keepDigests?: ReadonlySet<string> } = {}): Promise<void> {
    if (!this.registryClient) return;
    try {
      const outcome = await this.registryClient.deleteImage(ref, options);
      if (outcome === 'not-allowed' && !this.deletesRefused) {
        this.deletesRefused = true;
        this.logger.warn(
          `registry ${this.registry} refuses deletes (storage.delete.enabled is off): images of deleted apps and expired builds stay in it`,
        );
      }
    } catch (error) {
      this.logger.warn(`could not delete ${ref} from registry ${this.registry}: ${(error as Error).message}`);
    }
  }
}
