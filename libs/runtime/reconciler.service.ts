import { Inject, Injectable, Logger } from '@nestjs/common';
import pLimit from 'p-limit';
import { type App, AppsRepository, ReleasesService } from '../apps/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { LABELS, type ContainerSummary } from '../engine/index.js';
import { type Host, EnginePool } from '../hosts/index.js';
import { TenantNetworks } from '../networks/index.js';
import { NoCapacityError, placeReplicas } from '../scheduler/index.js';
import { CRASHLOOP_THRESHOLD, planConvergence } from './convergence.js';
import { ReplicaLifecycle } from './replica-lifecycle.js';
import { WEB_ROLE } from './replica-role.js';
import { placementHosts } from './placement-hosts.js';
import { ReplicasRepository } from './replicas.repository.js';
import { AppCleanup } from './app-cleanup.js';
import { LoadBalancerManager } from './balancer/load-balancer-manager.js';

/**
 * Replicas of one app observed at once. Each starting replica's readiness probe waits up to 500 ms, so
 * one after another a scale to 10 spent seconds per pass probing; the bound keeps a 1,000-replica app
 * from opening 1,000 sockets and database queries at once.
 */
const OBSERVE_CONCURRENCY = 16;

/**
 * Brings actual state (containers on hosts, read through their labels) to desired state (apps in
 * PostgreSQL), one app at a time. Idempotent: a restarted process re-reads every host and adopts what it
 * finds, so nothing is orphaned and nothing duplicated.
 */
@Injectable()
export class Reconciler {
  private readonly logger = new Logger('Reconciler');
  private readonly appLocks = new Map<string, Promise<void>>();

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    private readonly pool: EnginePool,
    private readonly lifecycle: ReplicaLifecycle,
    private readonly cleanup: AppCleanup,
    private readonly loadBalancers: LoadBalancerManager,
    private readonly networks: TenantNetworks,
    private readonly appRows: AppsRepository,
    private readonly replicaRows: ReplicasRepository,
    private readonly releases: ReleasesService,
  ) {}

  /** One pass over every app. */
  async reconcileAll(): Promise<void> {
    const hosts = await this.pool.hosts();
    const observed = await this.observeHosts(hosts);
    await this.lifecycle.removeOrphans(hosts, observed);
    const apps = await this.appRows.all();
    const withReplicas = await this.replicaRows.appIdsWithLiveReplicas();
    const ids = new Set([...apps.map((a) => a.id), ...withReplicas]);
    await Promise.all(
      [...ids].map((id) =>
        this.reconcileApp(id, hosts, observed).catch((err) =>
          this.logger.error(`app ${id}: ${err instanceof Error ? err.stack : err}`),
        ),
      ),
    );
    // Tenants scaled down, moved off a host or deleted leave networks behind: their subnets go back.
    await this.networks.releaseUnused({ hosts });
  }

  /** Reconciles one app; calls for the same app never overlap. */
  reconcileApp(appId: string, hosts?: Host[], observed?: Map<string, ContainerSummary>): Promise<void> {
    const previous = this.appLocks.get(appId) ?? Promise.resolve();
    const next = previous.then(async () => {
      const allHosts = hosts ?? (await this.pool.hosts());
      await this.reconcileAppNow(appId, allHosts, observed ?? (await this.observeHosts(allHosts)));
    });
    const settled = next.catch(() => undefined);
    this.appLocks.set(appId, settled);
    void settled.then(() => {
      if (this.appLocks.get(appId) === settled) this.appLocks.delete(appId);
    });
    return next;
  }

  /** Every Berth container on every reachable host, by container id. */
  private async observeHosts(hosts: Host[]): Promise<Map<string, ContainerSummary>> {
    const observed = new Map<string, ContainerSummary>();
    await Promise.all(
      hosts
        .filter((h) => h.status !== 'down')
        .map(async (host) => {
          const engine = await this.pool.engineFor(host);
          for (const c of await engine.listContainers({
            labels: { [LABELS.managedBy]: 'berth' },
            all: true,
          })) {
            observed.set(c.id, c);
          }
        }),
    );
    return observed;
  }

  private async reconcileAppNow(
    appId: string,
    hosts: Host[],
    observed: Map<string, ContainerSummary>,
  ): Promise<void> {
    const app = await this.appRows.byId(appId);
    const hostById = new Map(hosts.map((h) => [h.id, h]));
    let replicas = await this.replicaRows.liveOfApp(appId, 'web');

    // 1. Observe: what Docker says about each replica's container (each replica's rows are its own).
    const observeLimit = pLimit(OBSERVE_CONCURRENCY);
    const observations = await Promise.allSettled(
      replicas.map((replica) =>
        observeLimit(() => this.lifecycle.observe(WEB_ROLE, replica, hostById.get(replica.hostId), observed)),
      ),
    );
    const failedObservation = observations.find((o) => o.status === 'rejected');
    if (failedObservation) throw failedObservation.reason;
    replicas = await this.replicaRows.liveOfApp(appId, 'web');

    const release = await this.releases.byId(app?.currentReleaseId ?? null);
    const desired =
      app && !app.deletingAt && app.desiredState === 'running' && release?.image ? app.replicas : 0;
    const step = planConvergence({
      desiredReplicas: desired,
      currentReleaseId: release?.id ?? null,
      restartRequestedAt: app?.restartRequestedAt ?? null,
      replicas: replicas.map((r) => ({
        id: r.id,
        releaseId: r.releaseId,
        state: r.state,
        hostStatus: hostById.get(r.hostId)?.status ?? 'down',
        createdAt: r.createdAt,
        nextRestartAt: r.nextRestartAt,
      })),
      now: new Date(),
    });

    let failure: string | null = null;
    // 2. Act: restart due crashed replicas, create missing ones, remove surplus and stale ones.
    for (const id of step.restart) {
      const replica = replicas.find((r) => r.id === id)!;
      await this.lifecycle.restart(WEB_ROLE, replica, hostById.get(replica.hostId)!);
    }
    if (step.create > 0 && app && release) {
      try {
        const placements = placeReplicas(await placementHosts(this.replicaRows, hosts), {
          appId,
          count: step.create,
          memoryMb: release.memoryMb,
          existing: replicas.map((r) => ({ hostId: r.hostId })),
        });
        await Promise.all(
          placements.map((p) =>
            this.lifecycle.createWebReplica(app, release, hostById.get(p.hostId)!).catch((err) => {
              failure = `a replica failed to start: ${err instanceof Error ? err.message : String(err)}`;
            }),
          ),
        );
      } catch (err) {
        if (!(err instanceof NoCapacityError)) throw err;
        failure = err.message;
      }
    }
    await this.lifecycle.remove(
      WEB_ROLE,
      replicas.filter((r) => step.remove.includes(r.id)),
      hostById,
      {
        drainMs: this.config.drainDelayMs,
        // Now `stopping`: the balancer drops them at once, while they still answer through the drain delay.
        leftRotation: async () => {
          if (app) await this.loadBalancers.syncBackends(app, hosts);
        },
      },
    );

    // 3. The app's load balancer (role 'lb'): created, removed, its backends reloaded.
    const lb = await this.loadBalancers.reconcile({ appId, app, release, hosts, observed });
    if (!app) return;
    if (app.deletingAt) {
      if (step.converged && lb.converged) await this.cleanup.finishDeletion(app, hosts);
      return;
    }
    await this.reportStatus(app, step.converged && lb.converged, failure ?? lb.failure);
  }

  private async reportStatus(app: App, converged: boolean, failure: string | null): Promise<void> {
    const crashed = await this.replicaRows.mostRestartedCrashed(app.id);
    let phase: App['phase'] = 'converging';
    let reason: string | null = null;
    if (failure) {
      phase = 'failed';
      reason = failure;
    } else if (crashed && crashed.restarts >= CRASHLOOP_THRESHOLD) {
      phase = 'crashloop';
      reason = `replica ${crashed.id.slice(0, 8)} ${crashed.lastError ?? 'keeps exiting'} (${crashed.restarts} restarts)`;
    } else if (converged) {
      phase = app.desiredState === 'running' && app.currentReleaseId ? 'running' : 'stopped';
    }
    const settled = phase !== 'converging';
    // Only for the generation this pass read (see AppsRepository.reportStatus).
    await this.appRows.reportStatus({ appId: app.id, generation: app.generation, phase, reason, settled });
  }
}
