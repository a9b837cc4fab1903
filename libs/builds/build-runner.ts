import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppChanges, AppsRepository, ReleasesService } from '../apps/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { BuildFailedError, filesCapabilityOf, type ContainerEngine } from '../engine/index.js';
import { EnginePool, type Host, ImageDistribution } from '../hosts/index.js';
import { TenantNetworks } from '../networks/index.js';
import { chooseBuildHost } from '../scheduler/index.js';
import type { BlobStore } from './blob-store.js';
import { BLOB_STORE } from './builds-storage.module.js';
import { BuildLogStore } from './build-log.store.js';
import type { Build } from './build.entity.js';
import { BuildsRepository } from './builds.repository.js';
import { buildLimitsFor } from './build-containment.js';
import { readDependencyManifests } from './dependency-context.js';
import { DEPENDENCY_IMAGE_LABEL, ensureDependencyImage } from './dependency-install.js';
import { appImageConfig, appLayerTar } from './app-image.js';

export const RUNTIME_IMAGE = process.env.BERTH_NODE_IMAGE ?? 'berth/node-runtime:local';

export function imageTagFor(build: Pick<Build, 'appId' | 'id'>): string {
  return `berth-app-${build.appId}:b-${build.id.slice(0, 13).replace(/-/g, '')}`;
}

/** How long shutdown waits for cancelled builds to record their end. */
const SHUTDOWN_WAIT_MS = 10_000;
/**
 * Between two looks for builds whose worker stopped renewing their lease (LEASE_SECONDS): they fail at
 * most this much later, and an idle queue pass is one statement instead of three.
 */
const ABANDONED_SWEEP_MS = 10_000;

/**
 * Runs queued builds on pool hosts (never in this process): places the build, makes sure the host has
 * the runtime image, installs dependencies in a hardened build container (dependency-install.ts: tenant
 * code runs under replica containment), assembles the image by committing files (no builder),
 * streams the log, and turns a successful build into the app's next release.
 */
@Injectable()
export class BuildRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('BuildRunner');
  private readonly worker = `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  private readonly active = new Map<string, AbortController>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private sweptAt = 0;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(BLOB_STORE) private readonly blobs: BlobStore,
    private readonly builds: BuildsRepository,
    private readonly logs: BuildLogStore,
    private readonly pool: EnginePool,
    private readonly images: ImageDistribution,
    private readonly releases: ReleasesService,
    private readonly changes: AppChanges,
    private readonly networks: TenantNetworks,
    private readonly appRows: AppsRepository,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runWorkers) return;
    this.stopped = false;
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const controller of this.active.values())
      controller.abort(new Error('the build worker is shutting down'));
    // A build marks itself finished as it ends: wait for that (bounded) before the database closes.
    await Promise.race([
      Promise.allSettled(this.running),
      new Promise((resolve) => setTimeout(resolve, SHUTDOWN_WAIT_MS).unref()),
    ]);
  }

  /** Wakes the runner (after an upload) instead of waiting for the next poll. */
  poke(): void {
    if (!this.stopped) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    try {
      if (Date.now() - this.sweptAt >= ABANDONED_SWEEP_MS) {
        this.sweptAt = Date.now();
        for (const id of await this.builds.failAbandoned()) this.logs.finish(id);
      }
      while (!this.stopped && this.active.size < this.config.buildConcurrency) {
        const build = await this.builds.claimNext(this.worker);
        if (!build) break;
        const controller = new AbortController();
        this.active.set(build.id, controller);
        const running = this.run(build, controller)
          .catch((error: unknown) =>
            // The build's own bookkeeping failed (the database went away): a later claim fails it as abandoned.
            this.logger.warn(`build ${build.id}: ${error instanceof Error ? error.message : String(error)}`),
          )
          .finally(() => {
            this.active.delete(build.id);
            this.running.delete(running);
            this.poke();
          });
        this.running.add(running);
      }
    } catch (err) {
      this.logger.error(`build queue: ${err instanceof Error ? err.message : err}`);
    } finally {
      if (!this.stopped) this.schedule(1000);
    }
  }

  private async run(build: Build, controller: AbortController): Promise<void> {
    const log = (line: string) => this.pending(build.id, line);
    const timeout = setTimeout(
      () => controller.abort(new Error(`build timed out after ${build.timeoutSeconds} s (plan limit)`)),
      build.timeoutSeconds * 1000,
    );
    const heartbeat = setInterval(() => {
      void (async () => {
        if (!(await this.builds.renewLease(build.id, this.worker)))
          controller.abort(new Error('build lease lost'));
        if (await this.builds.isCancelRequested(build.id)) controller.abort(new CancelledError());
      })().catch(() => undefined);
    }, 2000);
    try {
      // Builds fetch dependencies from the npm registry: hosts labelled `builds: "false"` (no outbound
      // network, e.g. engines started with --iptables=false) only run replicas.
      const hosts = (await this.pool.schedulableHosts()).filter((h) => h.labels?.builds !== 'false');
      const limits = buildLimitsFor(build);
      const memoryMb = limits.memoryMb;
      const hostId = chooseBuildHost(
        hosts.map((h) => ({ id: h.id, status: h.status, memoryMb: h.memoryMb, allocatedMb: 0 })),
        memoryMb,
      );
      const host = hosts.find((h) => h.id === hostId)!;
      await this.builds.assignHost(build.id, hostId);
      log(`[berth] building on host ${host.name} with ${memoryMb} MB and ${build.cpuMillis / 1000} CPU`);
      const engine = await this.pool.engineFor(host);
      // Three things the dependency step needs, none of which depends on another. The install container
      // joins the tenant's network (the npm registry, no other tenant).
      const [, , manifests] = await Promise.all([
        this.images.ensureOn(host, RUNTIME_IMAGE),
        this.networks.ensure({ host, tenantId: build.tenantId }),
        readDependencyManifests(this.blobs.get(build.sourceKey)),
      ]);
      const manifest = build.manifest;
      const { config, warnings } = appImageConfig({
        start: manifest.start ?? { kind: 'script' },
        nodeEnginesRange: manifest.enginesNode,
        runtimeNodeVersion: process.versions.node,
      });
      for (const warning of warnings) log(`[berth] warning: ${warning}`);
      const dependencies = await ensureDependencyImage({
        engine,
        tenantId: build.tenantId,
        appId: build.appId,
        appName: build.appId,
        buildId: build.id,
        runtimeImage: RUNTIME_IMAGE,
        manifests,
        hasLockfile: manifest.hasLockfile ?? false,
        limits,
        signal: controller.signal,
        log,
      });
      const image = imageTagFor(build);
      const appImage = {
        tag: image,
        // Its own kind: it would inherit the dependency image's, and be pruned as one.
        labels: {
          'berth.tenant': build.tenantId,
          'berth.app': build.appId,
          'berth.build': build.id,
          [DEPENDENCY_IMAGE_LABEL]: 'app',
        },
        config,
      };
      const files = filesCapabilityOf(engine);
      const appLayer = appLayerTar({ normalizedTar: this.blobs.get(build.sourceKey) });
      // The images are layers written by the platform, loaded into the Engine: no builder, so no context
      // to hash and no step per instruction; no tenant code runs. After an install, the dependency image
      // and the app image are made in one call.
      const assembling = Date.now();
      // Beside the uploads, on the data disk: a dependency layer can be as large as the build's disk bound.
      const spoolDir = path.join(this.config.dataDir, 'layers');
      if (dependencies.reused) {
        await files.commitLayers({
          baseImage: dependencies.image,
          layers: [appLayer],
          images: [{ ...appImage, layers: 1 }],
          spoolDir,
          signal: controller.signal,
        });
      } else {
        await files
          .commitLayers({
            baseImage: RUNTIME_IMAGE,
            layers: [dependencies.layer, appLayer],
            images: [
              { tag: dependencies.image, layers: 1, labels: dependencies.labels },
              { ...appImage, layers: 2 },
            ],
            spoolDir,
            signal: controller.signal,
          })
          // The install's leftovers go once node_modules is read; the build ends after both.
          .finally(() => dependencies.cleanedUp);
      }
      log(
        `[berth] image ${image} assembled in ${Date.now() - assembling} ms` +
          (dependencies.reused ? '' : ` (with dependency image ${dependencies.image})`),
      );
      const imageDigest = await this.publish({ engine, host, image, signal: controller.signal, log });
      await this.flush(build.id);
      await this.succeed(build, image, imageDigest);
    } catch (err) {
      await this.flush(build.id).catch(() => undefined);
      const reason = controller.signal.aborted ? controller.signal.reason : err;
      const cancelled = reason instanceof CancelledError;
      const message =
        reason instanceof BuildFailedError
          ? reason.message
          : reason instanceof Error
            ? reason.message
            : String(reason);
      await this.logs
        .append(build.id, [cancelled ? '[berth] build cancelled' : `[berth] build failed: ${message}`])
        .catch(() => undefined);
      await this.builds.markFinished(build.id, this.worker, {
        status: cancelled ? 'cancelled' : 'failed',
        error: cancelled ? 'cancelled' : message,
      });
    } finally {
      clearTimeout(timeout);
      clearInterval(heartbeat);
      this.logs.finish(build.id);
    }
  }

  /**
   * With a registry, the image goes there before its release exists, so any host can pull it (and the
   * release outlives the host that built it); the manifest digest the push returns is what the release
   * records and hosts pull. A failed push is a warning, not a failed build: hosts then copy the image from
   * the build host, as without a registry.
   */
  private async publish(options: {
    engine: ContainerEngine;
    host: Host;
    image: string;
    signal: AbortSignal;
    log: (line: string) => void;
  }): Promise<string | undefined> {
    const { log, signal } = options;
    if (this.images.registry === undefined) return undefined;
    log(`[berth] pushing the image to registry ${this.images.registry}`);
    const started = Date.now();
    try {
      const published = await this.images.publish({ engine: options.engine, ref: options.image, signal });
      log(`[berth] pushed in ${((Date.now() - started) / 1000).toFixed(1)} s as ${published?.digest}`);
      return published?.digest;
    } catch (error) {
      if (signal.aborted) throw error;
      log(
        `[berth] warning: the push to registry ${this.images.registry} failed (${(error as Error).message}); ` +
          `other hosts will copy the image from host ${options.host.name}`,
      );
      return undefined;
    }
  }

  private async succeed(build: Build, image: string, imageDigest: string | undefined): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const app = await this.appRows.byId(build.appId, manager);
      const ours = await this.builds.markSucceeded(manager, build.id, this.worker, image);
      if (!ours || !app || app.deletingAt) return;
      const release = await this.releases.createFromBuild(
        manager,
        app,
        { id: build.id, image, imageDigest, releaseScript: build.manifest.releaseScript },
        `build:${build.id}`,
      );
      await this.builds.linkRelease(manager, build.id, release.id);
      await this.logs.append(build.id, [`[berth] release v${release.version} created`]);
      await this.changes.notify(app.id, manager);
    });
  }

  // Build output arrives line by line; lines are written in small batches to keep inserts few.
  private readonly buffers = new Map<string, { lines: string[]; timer?: NodeJS.Timeout }>();

  private pending(buildId: string, line: string): void {
    const buffer = this.buffers.get(buildId) ?? { lines: [] };
    buffer.lines.push(line);
    this.buffers.set(buildId, buffer);
    buffer.timer ??= setTimeout(() => void this.flush(buildId).catch(() => undefined), 200);
  }

  private async flush(buildId: string): Promise<void> {
    const buffer = this.buffers.get(buildId);
    if (!buffer) return;
    this.buffers.delete(buildId);
    if (buffer.timer) clearTimeout(buffer.timer);
    await this.logs.append(buildId, buffer.lines);
  }
}

class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}
