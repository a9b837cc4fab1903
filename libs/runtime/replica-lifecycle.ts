import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import crypto from 'node:crypto';
import { DataSource } from 'typeorm';
import { type App, type Release, ReleasesService } from '../apps/index.js';
import {
  hardenedContainerSpec,
  tenantNetworkName,
  type ContainerDetails,
  type ContainerEngine,
  type ContainerSummary,
} from '../engine/index.js';
import { type Host, EnginePool, ImageDistribution } from '../hosts/index.js';
import { TenantNetworks } from '../networks/index.js';
import { TenantPlanRepository } from '../plans/index.js';
import { orphanContainers, restartBackoffMs } from './convergence.js';
import { engineIsLocal, readinessTarget } from './readiness.js';
import { ReadinessWatch } from './readiness-watch.js';
import {
  APP_PORT,
  REPLICA_LABEL,
  STOP_GRACE_SECONDS,
  WEB_ROLE,
  type ReplicaDraft,
  type ReplicaRole,
} from './replica-role.js';
import type { Replica } from './replica.entity.js';
import { ReplicasRepository } from './replicas.repository.js';

/** How long a started replica may take to accept connections before its row says so (lastError). */
export const READINESS_TIMEOUT_MS = 60_000;
/** A row whose container never showed up after this long is given up (the next pass places another). */
const CREATION_TIMEOUT_MS = 30_000;

/** The app stopped, slept or was deleted while its replica's image and network were being made ready. */
export class ReplicaNotWantedError extends Error {
  override readonly name = 'ReplicaNotWantedError';
}

/**
 * The life of one replica, web replica or load balancer alike (ReplicaRole says what differs): created
 * row first, then container (adopted by its label when this process dies in between), observed (Docker's
 * state folded into the row: started, ready, exited with code / OOM, vanished), restarted in the same
 * container after a backoff, removed; containers of replicas marked gone are removed as orphans.
 * Each start opens a ReplicaRun at Docker's StartedAt and each stop closes it at Docker's FinishedAt: usage
 * is metered from these, for both roles. Callers hold the reconciler's per-app lock.
 */
@Injectable()
export class ReplicaLifecycle {
  private readonly logger = new Logger('ReplicaLifecycle');
  /**
   * Starting containers' addresses on their tenant network, by container id (read at their start, or once
   * by the first look of a process that did not start them); dropped once the replica is ready or stops.
   */
  private readonly ownAddresses = new Map<string, string>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly replicas: ReplicasRepository,
    private readonly pool: EnginePool,
    private readonly images: ImageDistribution,
    private readonly releases: ReleasesService,
    private readonly networks: TenantNetworks,
    private readonly tenantPlans: TenantPlanRepository,
    private readonly readinessWatch: ReadinessWatch,
  ) {}

  /** A web replica of the app's release on `host`. */
  createWebReplica(app: App, release: Release, host: Host): Promise<Replica> {
    return this.create(WEB_ROLE, {
      app,
      releaseId: release.id,
      host,
      image: release.image!,
      imageDigest: release.imageDigest,
      memoryMb: release.memoryMb,
      cpuMillis: release.cpuMillis,
      containerName: (instance) => `berth-${app.id}-web-v${release.version}-${instance}`,
      spec: ({ replicaId, instance }) =>
        hardenedContainerSpec({
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
          extraLabels: { [REPLICA_LABEL]: replicaId },
          stopGraceSeconds: STOP_GRACE_SECONDS,
        }),
    });
  }

  /**
   * Records the replica (so a crash mid-way leaves a row the next pass adopts), brings the image and the
   * tenant network to the host, creates and starts the container. Throws when it could not be started; the
   * row then says what happens next (crashed: its start is retried with backoff; gone: placed anew).
   */
  async create(role: ReplicaRole, draft: ReplicaDraft): Promise<Replica> {
    const { app, host } = draft;
    const instance = crypto.randomBytes(4).toString('hex');
    const replica = await this.replicas.insertPending({
      appId: app.id,
      tenantId: app.tenantId,
      releaseId: draft.releaseId,
      hostId: host.id,
      role: role.name,
      containerName: draft.containerName(instance),
      memoryMb: draft.memoryMb,
      cpuMillis: draft.cpuMillis,
    });
    try {
      const engine = await this.pool.engineFor(host);
      // The image and the network do not depend on each other.
      await Promise.all([
        this.images.ensureOn(host, draft.image, draft.imageDigest),
        this.networks.ensure({ host, tenantId: app.tenantId }),
      ]);
      // The image can take long to reach a pool host, and the stop waits behind this pass (the per-app
      // lock): an app stopped, asleep or deleted meanwhile gets no container to start and remove at once.
      if (!(await this.appRuns(app.id))) throw new ReplicaNotWantedError(`app ${app.id} no longer runs`);
      const spec = await draft.spec({ replicaId: replica.id, instance });
      const { id } = await engine.createContainer({ ...spec, name: replica.containerName });
      // Recorded while it starts (a container started before its id is saved is adopted by its label);
      // both settle before a failure is handled, which reads whether the id was saved.
      const [recorded, started] = await Promise.allSettled([
        this.replicas.recordContainer(replica.id, id),
        engine.startContainer({ id }),
      ]);
      if (recorded.status === 'rejected') throw recorded.reason;
      if (started.status === 'rejected') throw started.reason;
      await this.recordStarted(role, replica.id, await engine.inspectContainer({ id }));
      return this.replicas.byId(replica.id);
    } catch (err) {
      if (err instanceof ReplicaNotWantedError) {
        await this.replicas.markGone(replica.id, {});
        throw err;
      }
      const message = describe(err);
      this.logger.warn(`${role.name} replica ${replica.id} of app ${app.id} failed to start: ${message}`);
      const current = await this.replicas.byId(replica.id);
      if (current.containerId) {
        // Created but not started: its start is retried with backoff.
        await this.replicas.markStartFailed(replica.id, message.slice(0, 500), new Date(Date.now() + 1000));
      } else {
        // Nothing exists on the host; the next pass places a new replica.
        await this.replicas.markGone(replica.id, { lastError: message.slice(0, 500) });
      }
      throw err;
    }
  }

  /**
   * Folds what Docker reports into the replica's row: adopted by its label after a crash of this process,
   * started (run opened), accepting connections, exited (run closed, exit code and OOM kept, restart after
   * a backoff), vanished. Returns the fresh row, or null when the replica is gone. Replicas on a host that
   * is down are left as they are (their host's fate decides).
   */
  async observe(
    role: ReplicaRole,
    replica: Replica,
    host: Host | undefined,
    observed: Map<string, ContainerSummary>,
  ): Promise<Replica | null> {
    if (!host || host.status === 'down') return replica;
    if (!replica.containerId) {
      // Created in the database but the process died before Docker answered: adopt it by its label.
      const adopted = [...observed.values()].find((c) => c.labels[REPLICA_LABEL] === replica.id);
      if (adopted) {
        await this.replicas.recordContainer(replica.id, adopted.id);
        replica.containerId = adopted.id;
      } else if (Date.now() - replica.createdAt.getTime() > CREATION_TIMEOUT_MS) {
        await this.replicas.markGone(replica.id, { lastError: 'container was never created' });
        return null;
      } else {
        return replica;
      }
    }
    const summary = observed.get(replica.containerId);
    if (!summary) {
      if (replica.state === 'pending') return replica;
      this.ownAddresses.delete(replica.containerId);
      await this.replicas.closeRun(replica.id, new Date());
      await this.replicas.markGone(replica.id, { stoppedAt: new Date(), lastError: 'container disappeared' });
      return null;
    }
    const engine = await this.pool.engineFor(host);
    if (summary.state === 'running') {
      if (replica.state === 'crashed' || replica.state === 'pending') {
        await this.recordStarted(
          role,
          replica.id,
          await engine.inspectContainer({ id: replica.containerId }),
        );
        replica = await this.replicas.byId(replica.id);
      }
      if (replica.state === 'starting' && replica.hostPort) {
        const target = readinessTarget({
          host,
          hostPort: replica.hostPort,
          containerPort: role.port,
          containerAddress:
            role.readyOnOwnAddress && engineIsLocal(host.endpoint)
              ? await this.ownAddress(engine, replica)
              : undefined,
          startedAt: replica.startedAt,
        });
        if (await role.isReady(target, replica)) {
          this.ownAddresses.delete(replica.containerId!);
          await this.replicas.markRunning(replica.id);
          replica.state = 'running';
        } else {
          // The pass after it accepts comes at once, not at the app's next look.
          this.readinessWatch.watch(replica.containerId!, replica.appId, target);
          if (replica.startedAt && Date.now() - replica.startedAt.getTime() > READINESS_TIMEOUT_MS) {
            await this.replicas.setLastError(
              replica.id,
              `not ready on port ${role.port} after ${READINESS_TIMEOUT_MS / 1000} s (no connection, or its health check not passed)`,
            );
          }
        }
      }
      return replica;
    }
    if (
      (summary.state === 'exited' || summary.state === 'dead') &&
      (replica.state === 'running' || replica.state === 'starting')
    ) {
      this.ownAddresses.delete(replica.containerId);
      await this.recordCrash(replica, await engine.inspectContainer({ id: replica.containerId }));
      return this.replicas.byId(replica.id);
    }
    return replica;
  }

  /**
   * Starts a crashed replica's container again (same container, same port binding). A start that fails
   * counts as one more restart and waits out a longer backoff.
   */
  async restart(role: ReplicaRole, replica: Replica, host: Host): Promise<void> {
    try {
      const engine = await this.pool.engineFor(host);
      await engine.startContainer({ id: replica.containerId! });
      await this.recordStarted(role, replica.id, await engine.inspectContainer({ id: replica.containerId! }));
    } catch (err) {
      const restarts = replica.restarts + 1;
      await this.replicas.recordRestartFailure(replica.id, {
        restarts,
        nextRestartAt: new Date(Date.now() + restartBackoffMs(restarts)),
        lastError: `restart failed: ${describe(err)}`.slice(0, 500),
      });
    }
  }

  /**
   * Removes replicas: each becomes `stopping`; those that were serving first leave rotation (`leftRotation`:
   * the caller has the app's balancer drop them at once) and keep answering for `drainMs`, so clients
   * holding their address are not cut off mid-request. Then the role stops and removes the container, its
   * run is closed at Docker's FinishedAt and the replica is `gone`. One replica's failure is logged and
   * leaves the others' removal going; the next pass retries it (its row is `stopping`, or its container an
   * orphan).
   */
  async remove(
    role: ReplicaRole,
    replicas: Replica[],
    hostById: Map<string, Host>,
    options: { drainMs?: number; leftRotation?: () => Promise<void> } = {},
  ): Promise<void> {
    if (replicas.length === 0) return;
    await this.replicas.markStopping(replicas.map((r) => r.id));
    const drainMs = options.drainMs ?? 0;
    const draining = (r: Replica) => drainMs > 0 && r.state === 'running';
    const drained = replicas.some(draining)
      ? (async () => {
          await options
            .leftRotation?.()
            .catch((err) => this.logger.warn(`leaving rotation: ${describe(err)}`));
          await new Promise((resolve) => setTimeout(resolve, drainMs));
        })()
      : Promise.resolve();
    await Promise.all(
      replicas.map(async (replica) => {
        if (draining(replica)) await drained;
        await this.stopAndMarkGone(role, replica, hostById.get(replica.hostId)).catch((err) =>
          this.logger.warn(`remove ${role.name} replica ${replica.id}: ${describe(err)}`),
        );
      }),
    );
  }

  /** Containers of replicas this installation marked gone, on every reachable host. */
  async removeOrphans(hosts: Host[], observed: Map<string, ContainerSummary>): Promise<void> {
    const ids = [...observed.values()].map((c) => c.labels[REPLICA_LABEL]).filter((id) => !!id);
    if (ids.length === 0) return;
    const orphans = orphanContainers(observed.values(), await this.replicas.goneAmong(ids), new Date());
    for (const container of orphans) {
      for (const host of hosts.filter((h) => h.status !== 'down')) {
        const engine = await this.pool.engineFor(host);
        if (!(await engine.inspectContainer({ id: container.id }))) continue;
        this.logger.warn(`removing orphan container ${container.name}`);
        await engine.removeContainer({ id: container.id, force: true });
      }
    }
  }

  private async stopAndMarkGone(role: ReplicaRole, replica: Replica, host: Host | undefined): Promise<void> {
    let stoppedAt = new Date();
    if (replica.containerId) this.ownAddresses.delete(replica.containerId);
    if (host && host.status !== 'down' && replica.containerId) {
      const engine = await this.pool.engineFor(host);
      stoppedAt = (await role.stopAndRemove(engine, replica.containerId)) ?? stoppedAt;
    }
    await this.replicas.closeRun(replica.id, stoppedAt);
    await this.replicas.markGone(replica.id, { stoppedAt });
    this.logger.log(`app ${replica.appId}: ${role.name} replica ${replica.id} removed`);
  }

  private async appRuns(appId: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM apps
        WHERE id = $1 AND desired_state = 'running' AND deleting_at IS NULL AND sleeping_since IS NULL`,
      [appId],
    );
    return rows.length > 0;
  }

  /** Opens a run at Docker's StartedAt (once per start) and marks the replica `starting`. */
  private async recordStarted(
    role: ReplicaRole,
    replicaId: string,
    details: ContainerDetails | undefined,
  ): Promise<void> {
    if (!details) return;
    // A restarted container may have another address: the one read now replaces any kept.
    this.ownAddresses.delete(details.id);
    const port = details.ports.find((p) => p.containerPort === role.port)?.hostPort ?? null;
    const startedAt = details.startedAt ?? new Date();
    const started = { containerId: details.id, running: details.running, hostPort: port, startedAt };
    await this.dataSource.transaction(async (manager) => {
      const replica = await this.replicas.lockById(manager, replicaId);
      const address = details.networks[tenantNetworkName(replica.tenantId)]?.ipAddress;
      if (details.running && role.readyOnOwnAddress && address) this.ownAddresses.set(details.id, address);
      await this.replicas.markStarted(manager, replica, started);
      if (!details.running) return;
      const planId = await this.tenantPlans.planIdOf(replica.tenantId, manager);
      await this.replicas.openRun(manager, replica, started, planId);
    });
  }

  /** The starting replica's container address on its tenant network (undefined: it has none). */
  private async ownAddress(engine: ContainerEngine, replica: Replica): Promise<string | undefined> {
    const id = replica.containerId!;
    const known = this.ownAddresses.get(id);
    if (known !== undefined) return known;
    const details = await engine.inspectContainer({ id });
    const address = details?.networks[tenantNetworkName(replica.tenantId)]?.ipAddress ?? '';
    this.ownAddresses.set(id, address);
    return address;
  }

  /**
   * The container exited on its own: its run ends at Docker's FinishedAt, the exit code and OOM kill are
   * kept, and its restart waits out an exponential backoff.
   */
  private async recordCrash(replica: Replica, details: ContainerDetails | undefined): Promise<void> {
    const stoppedAt = details?.finishedAt ?? new Date();
    await this.replicas.closeRun(replica.id, stoppedAt);
    const restarts = replica.restarts + 1;
    await this.replicas.recordExit(replica.id, {
      exitCode: details?.exitCode ?? null,
      oomKilled: details?.oomKilled ?? false,
      restarts,
      stoppedAt,
      nextRestartAt: new Date(Date.now() + restartBackoffMs(restarts)),
      lastError: details?.oomKilled ? 'killed: out of memory' : `exited with code ${details?.exitCode}`,
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
