import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import crypto from 'node:crypto';
import { DataSource } from 'typeorm';
import type { App } from '../apps/app.entity.js';
import type { Release } from '../apps/release.entity.js';
import { AppChanges } from '../apps/app-changes.js';
import { ReleasesService } from '../apps/releases.service.js';
import { hardenedContainerSpec, type ContainerDetails } from '../engine/index.js';
import type { Host } from '../hosts/host.entity.js';
import { EnginePool } from '../hosts/engine-pool.js';
import { ImageDistribution } from '../hosts/image-distribution.js';
import { Tenant } from '../identity/tenant.entity.js';
import { TenantNetworks } from '../networks/index.js';
import { restartBackoffMs } from './convergence.js';
import { ReplicaRun } from './replica-run.entity.js';
import { Replica } from './replica.entity.js';

/** The port every app listens on inside its container (the PORT contract). */
export const APP_PORT = 8080;
export const STOP_GRACE_SECONDS = 10;

/**
 * The Docker side of one replica's life, and the bookkeeping that goes with it: each start opens a
 * ReplicaRun at Docker's StartedAt, each stop closes it at Docker's FinishedAt (usage is metered from these).
 */
@Injectable()
export class ReplicaLifecycle {
  private readonly logger = new Logger('ReplicaLifecycle');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pool: EnginePool,
    private readonly images: ImageDistribution,
    private readonly releases: ReleasesService,
    private readonly changes: AppChanges,
    private readonly networks: TenantNetworks,
  ) {}

  /** Records the replica (so a crash mid-way leaves a row the reconciler adopts), creates and starts it. */
  async createWebReplica(app: App, release: Release, host: Host): Promise<Replica> {
    const repo = this.dataSource.getRepository(Replica);
    const instance = crypto.randomBytes(4).toString('hex');
    const replica = await repo.save(
      repo.create({
        appId: app.id,
        tenantId: app.tenantId,
        releaseId: release.id,
        hostId: host.id,
        role: 'web',
        containerName: `berth-${app.id}-web-v${release.version}-${instance}`,
        state: 'pending',
        memoryMb: release.memoryMb,
        cpuMillis: release.cpuMillis,
      }),
    );
    try {
      const engine = await this.pool.engineFor(host);
      await this.images.ensureOn(host, release.image!);
      await this.networks.ensure({ host, tenantId: app.tenantId });
      const spec = hardenedContainerSpec({
        tenantId: app.tenantId,
        appId: app.id,
        appName: app.name,
        releaseVersion: release.version,
        role: 'web',
        instance,
        image: release.image!,
        env: this.releases.envOf(release),
        plan: { memoryMb: release.memoryMb, cpuMillis: release.cpuMillis },
        containerPort: APP_PORT,
        publishAddress: host.publicAddress,
        networkAliases: [`${app.name}-web`],
        extraLabels: { 'berth.replica': replica.id },
        stopGraceSeconds: STOP_GRACE_SECONDS,
      });
      const { id } = await engine.createContainer({ ...spec, name: replica.containerName });
      await repo.update(replica.id, { containerId: id });
      await engine.startContainer({ id });
      const details = await engine.inspectContainer({ id });
      await this.recordStarted(replica.id, details);
      return repo.findOneByOrFail({ id: replica.id });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.logger.warn(`replica ${replica.id} of app ${app.id} failed to start: ${message}`);
      const current = await repo.findOneByOrFail({ id: replica.id });
      if (current.containerId) {
        // Created but not started: the reconciler retries the start with backoff.
        await repo.update(replica.id, {
          state: 'crashed',
          restarts: 1,
          lastError: message.slice(0, 500),
          nextRestartAt: new Date(Date.now() + 1000),
        });
      } else {
        // Nothing exists on the host; the next pass places a new replica.
        await repo.update(replica.id, { state: 'gone', lastError: message.slice(0, 500) });
      }
      throw err;
    }
  }

  /** Starts a crashed replica's container again (same container, same port binding). */
  async restart(replica: Replica, host: Host): Promise<void> {
    const engine = await this.pool.engineFor(host);
    await engine.startContainer({ id: replica.containerId! });
    await this.recordStarted(replica.id, await engine.inspectContainer({ id: replica.containerId! }));
  }

  async recordStarted(replicaId: string, details: ContainerDetails | undefined): Promise<void> {
    if (!details) return;
    const port = details.ports.find((p) => p.containerPort === APP_PORT)?.hostPort ?? null;
    const startedAt = details.startedAt ?? new Date();
    await this.dataSource.transaction(async (manager) => {
      const replica = await manager.findOneOrFail(Replica, {
        where: { id: replicaId },
        lock: { mode: 'pessimistic_write' },
      });
      await manager.update(Replica, replicaId, {
        state: details.running ? 'starting' : replica.state,
        hostPort: port,
        startedAt,
        stoppedAt: null,
        nextRestartAt: null,
      });
      if (!details.running) return;
      const open = await manager.findOne(ReplicaRun, {
        where: { replicaId, containerId: details.id, startedAt },
      });
      if (!open) {
        const tenant = await manager.findOneOrFail(Tenant, { where: { id: replica.tenantId } });
        await manager.insert(ReplicaRun, {
          replicaId,
          tenantId: replica.tenantId,
          appId: replica.appId,
          role: replica.role,
          containerId: details.id,
          memoryMb: replica.memoryMb,
          cpuMillis: replica.cpuMillis,
          planId: tenant.planId,
          startedAt,
          stoppedAt: null,
        });
      }
    });
  }

  /**
   * A replica's container exited on its own: its run ends at Docker's FinishedAt, the exit code and OOM
   * kill are kept, and its restart waits out an exponential backoff.
   */
  async recordCrash(replica: Replica, details: ContainerDetails | undefined): Promise<void> {
    const stoppedAt = details?.finishedAt ?? new Date();
    await this.closeRun(replica.id, stoppedAt);
    const restarts = replica.restarts + 1;
    await this.dataSource.getRepository(Replica).update(replica.id, {
      state: 'crashed',
      exitCode: details?.exitCode ?? null,
      oomKilled: details?.oomKilled ?? false,
      restarts,
      stoppedAt,
      nextRestartAt: new Date(Date.now() + restartBackoffMs(restarts)),
      lastError: details?.oomKilled ? 'killed: out of memory' : `exited with code ${details?.exitCode}`,
    });
  }

  /** Closes the replica's open run at the time Docker says the container stopped. */
  async closeRun(replicaId: string, stoppedAt: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE replica_runs SET stopped_at = GREATEST(started_at, $2) WHERE replica_id = $1 AND stopped_at IS NULL`,
      [replicaId, stoppedAt],
    );
  }

  /**
   * Stops (SIGTERM, grace, SIGKILL) and removes the container; the replica becomes `gone`. A replica that
   * was serving first leaves the endpoint list (and its load balancer) and keeps answering for the drain
   * delay, so clients holding its address are not cut off mid-request.
   */
  async remove(replica: Replica, host: Host | undefined, drainMs = 0): Promise<void> {
    const repo = this.dataSource.getRepository(Replica);
    await repo.update(replica.id, { state: 'stopping' });
    if (drainMs > 0 && replica.state === 'running') {
      this.changes.notify(replica.appId);
      await new Promise((resolve) => setTimeout(resolve, drainMs));
    }
    let stoppedAt = new Date();
    if (host && host.status !== 'down' && replica.containerId) {
      const engine = await this.pool.engineFor(host);
      await engine.stopContainer({ id: replica.containerId, graceSeconds: STOP_GRACE_SECONDS });
      const details = await engine.inspectContainer({ id: replica.containerId });
      stoppedAt = details?.finishedAt ?? stoppedAt;
      await engine.removeContainer({ id: replica.containerId, force: true });
    }
    await this.closeRun(replica.id, stoppedAt);
    await repo.update(replica.id, { state: 'gone', stoppedAt });
  }
}
