import { Inject, Injectable, Logger } from '@nestjs/common';
import pLimit from 'p-limit';
import { type App, AppsRepository, ReleasesService } from '../apps/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { LABELS, type ContainerSummary } from '../engine/index.js';
import { type Host, EnginePool } from '../hosts/index.js';
import { TenantNetworks } from '../networks/index.js';
import { NoCapacityError, placeReplicas } from '../scheduler/index.js';
import { CRASHLOOP_THRESHOLD, planConvergence } from './convergence.js';
import { ReleasePhaseGate } from './release-phase.js';
import { ReplicaLifecycle, ReplicaNotWantedError } from './replica-lifecycle.js';
import { WEB_ROLE } from './replica-role.js';
import { placementHosts } from './placement-hosts.js';
import { type AppPassState, loadPassState } from './reconcile-pass-state.js';
import { nextLook } from './reconcile-schedule.js';
import type { Replica } from './replica.entity.js';
import { ReplicasRepository } from './replicas.repository.js';
import { AppCleanup } from './app-cleanup.js';
import { RolloutGuard } from './auto-rollback.js';
import { ReplicaHealth } from './replica-health.js';
import { LoadBalancerManager } from './balancer/load-balancer-manager.js';

/**
 * Replicas of one app observed at once. Each starting replica's readiness probe waits up to 500 ms, so
 * one after another a scale to 10 spent seconds per pass probing; the bound keeps a 1,000-replica app
 * from opening 1,000 sockets and database queries at once.
 */
const OBSERVE_CONCURRENCY = 16;
/**
 * Apps one pass works on at once. Each may hold a pooled connection (20 in all) for a while, e.g. waiting
 * for the subnet allocator's lock when it creates a tenant's first replica; half the pool stays for the
 * API. A settled app's turn takes no query and no Docker call, so this only paces apps with work.
 */
const APPS_AT_ONCE = 10;
/** Up to this many apps a pass lists each app's containers by label; above it, all of Berth's at once. */
const OBSERVE_BY_APP_LIMIT = 16;

/** What a pass did: how many apps it covered, and when each that did not converge needs its next look. */
export interface ReconcilePass {
  apps: number;
  nextLooks: Map<string, Date>;
}

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
    private readonly health: ReplicaHealth,
    private readonly rollouts: RolloutGuard,
    private readonly releasePhase: ReleasePhaseGate,
  ) {}

  /** Where a pass reads apps, replicas and releases: their repositories, a few queries for any number of apps. */
  private get passSources() {
    return { apps: this.appRows, replicas: this.replicaRows, releases: this.releases };
  }

  /** One pass over every app (the loop's full resync). */
  reconcileAll(): Promise<ReconcilePass> {
    return this.reconcile(undefined);
  }

  /** One pass over these apps only: those a change, a Docker event or their own last pass marked. */
  reconcileApps(appIds: readonly string[]): Promise<ReconcilePass> {
    return this.reconcile(appIds);
  }

  private async reconcile(appIds: readonly string[] | undefined): Promise<ReconcilePass> {
    const nextLooks = new Map<string, Date>();
    if (appIds?.length === 0) return { apps: 0, nextLooks };
    const hosts = await this.pool.hosts();
    const observed = await this.observeHosts(hosts, appIds);
    await this.lifecycle.removeOrphans(hosts, observed);
    const state = await loadPassState(this.passSources, appIds);
    const tenants = new Set<string>();
    const appLimit = pLimit(APPS_AT_ONCE);
    await Promise.all(
      state.appIds.map((id) =>
        appLimit(async () => {
          const prefetched = state.forApp(id);
          for (const tenantId of [prefetched.app?.tenantId, ...prefetched.replicas.map((r) => r.tenantId)])
            if (tenantId) tenants.add(tenantId);
          try {
            const nextLook = await this.reconcileApp(id, hosts, observed, prefetched);
            if (nextLook) nextLooks.set(id, nextLook);
          } catch (err) {
            this.logger.error(`app ${id}: ${err instanceof Error ? err.stack : err}`);
            nextLooks.set(id, new Date(Date.now() + this.config.reconcileIntervalMs));
          }
        }),
      ),
    );
    // Tenants scaled down, moved off a host or deleted leave networks behind: their subnets go back.
    if (!appIds) await this.networks.releaseUnused({ hosts });
    else for (const tenantId of tenants) await this.networks.releaseUnused({ hosts, tenantId });
    return { apps: state.appIds.length, nextLooks };
  }

  /**
   * Reconciles one app; calls for the same app never overlap. Returns when the app needs its next look
   * (it did not converge), or null.
   */
  reconcileApp(
    appId: string,
    hosts?: Host[],
    observed?: Map<string, ContainerSummary>,
    prefetched?: AppPassState,
  ): Promise<Date | null> {
    // Read before the pass: another call for this app still running would make the prefetched rows stale.
    const fresh = this.appLocks.has(appId) ? undefined : prefetched;
    const previous = this.appLocks.get(appId) ?? Promise.resolve();
    const next = previous.then(async () => {
      const allHosts = hosts ?? (await this.pool.hosts());
      return this.reconcileAppNow(
        appId,
        allHosts,
        observed ?? (await this.observeHosts(allHosts, [appId])),
        fresh ?? (await loadPassState(this.passSources, [appId])).forApp(appId),
      );
    });
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.appLocks.set(appId, settled);
    void settled.then(() => {
      if (this.appLocks.get(appId) === settled) this.appLocks.delete(appId);
    });
    return next;
  }

  /**
   * Berth's containers on every reachable host, by container id: all of them, or those of a few apps
   * (one filtered listing per app and host; above OBSERVE_BY_APP_LIMIT apps one full listing is cheaper).
   */
  private async observeHosts(
    hosts: Host[],
    appIds?: readonly string[],
  ): Promise<Map<string, ContainerSummary>> {
    const observed = new Map<string, ContainerSummary>();
    const filters =
      appIds && appIds.length <= OBSERVE_BY_APP_LIMIT
        ? appIds.map((appId) => ({ [LABELS.managedBy]: 'berth', [LABELS.app]: appId }))
        : [{ [LABELS.managedBy]: 'berth' }];
    await Promise.all(
      hosts
        .filter((h) => h.status !== 'down')
        .map(async (host) => {
          const engine = await this.pool.engineFor(host);
          for (const labels of filters) {
            for (const c of await engine.listContainers({ labels, all: true })) observed.set(c.id, c);
          }
        }),
    );
    return observed;
  }

  private async reconcileAppNow(
    appId: string,
    hosts: Host[],
    observed: Map<string, ContainerSummary>,
    state: AppPassState,
  ): Promise<Date | null> {
    const { app } = state;
    const hostById = new Map(hosts.map((h) => [h.id, h]));

    // 1. Observe: what Docker says about each replica's container (each replica's rows are its own).
    const observeLimit = pLimit(OBSERVE_CONCURRENCY);
    const observations = await Promise.allSettled(
      state.replicas.map((replica) =>
        observeLimit(() =>
          this.lifecycle.observe(this.health.webRole, replica, hostById.get(replica.hostId), observed),
        ),
      ),
    );
    const failedObservation = observations.find((o) => o.status === 'rejected');
    if (failedObservation) throw failedObservation.reason;
    // Observe returns each replica's row as it now is, or null once it is gone.
    const replicas = observations
      .map((o) => (o.status === 'fulfilled' ? o.value : null))
      .filter((r): r is Replica => r !== null);
    // A release with a command rolls out once it has run (libs/runtime/release-phase.ts).
    const gate = await this.releasePhase.gate(app, state.release, replicas);
    const release = gate.release;
    // Health verdicts: a failing release goes back to the previous one; unhealthy replicas are restarted.
    if (await this.rollouts.guard({ app, release, replicas, hostById }))
      return new Date(Date.now() + this.config.reconcileIntervalMs);

    const desired =
      app && !app.deletingAt && app.desiredState === 'running' && !app.sleepingSince && release?.image
        ? app.replicas
        : 0;
    const now = new Date();
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
      now,
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
              if (err instanceof ReplicaNotWantedError) return; // the next pass sees the stop
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
    const lb = await this.loadBalancers.reconcile({
      appId,
      app,
      release,
      hosts,
      observed,
      balancers: state.balancers,
    });
    const converged = step.converged && lb.converged && !gate.waiting;
    if (app?.deletingAt && converged) await this.cleanup.finishDeletion(app, hosts);
    else if (app && !app.deletingAt)
      await this.reportStatus(app, replicas, converged, failure ?? lb.failure ?? gate.failure);
    if (converged) {
      // A stopped app rolls nothing out: its release's window starts once its replicas run.
      if (desired > 0) await this.rollouts.rolloutConverged(release);
      // Replicas with a health check are probed every interval, so a settled app still has its looks.
      return this.health.nextProbeAt(replicas);
    }
    return nextLook({
      replicas,
      started: step.create > 0 || step.restart.length > 0,
      acted: !lb.converged,
      now,
      intervalMs: this.config.reconcileIntervalMs,
    });
  }

  private async reportStatus(
    app: App,
    replicas: Replica[],
    converged: boolean,
    failure: string | null,
  ): Promise<void> {
    // Read again only when one was crashed: this pass may have restarted it (or failed to) since.
    const crashed = replicas.some((r) => r.state === 'crashed')
      ? await this.replicaRows.mostRestartedCrashed(app.id)
      : null;
    let phase: App['phase'] = 'converging';
    let reason: string | null = null;
    if (failure) {
      phase = 'failed';
      reason = failure;
    } else if (crashed && crashed.restarts >= CRASHLOOP_THRESHOLD) {
      phase = 'crashloop';
      reason = `replica ${crashed.id.slice(0, 8)} ${crashed.lastError ?? 'keeps exiting'} (${crashed.restarts} restarts)`;
    } else if (converged) {
      phase =
        app.desiredState === 'running' && app.currentReleaseId
          ? app.sleepingSince
            ? 'sleeping'
            : 'running'
          : 'stopped';
    }
    const settled = phase !== 'converging';
    // Only the reconciler changes an app's status without a new generation, so an unchanged status needs
    // no write (a full resync of 1,000 settled apps would otherwise rewrite 1,000 rows).
    const observedGeneration = settled ? app.generation : app.observedGeneration;
    if (phase === app.phase && reason === app.statusReason && observedGeneration === app.observedGeneration)
      return;
    // Only for the generation this pass read (see AppsRepository.reportStatus).
    await this.appRows.reportStatus({ appId: app.id, generation: app.generation, phase, reason, settled });
  }
}
