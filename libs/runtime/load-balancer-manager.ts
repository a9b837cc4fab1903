import crypto from 'node:crypto';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, Not } from 'typeorm';
import { AppChanges } from '../apps/app-changes.js';
import { App } from '../apps/app.entity.js';
import type { Release } from '../apps/release.entity.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/config.js';
import { LABELS, type ContainerSummary } from '../engine/index.js';
import { EnginePool } from '../hosts/engine-pool.js';
import { ImageDistribution } from '../hosts/image-distribution.js';
import type { Host } from '../hosts/host.entity.js';
import { TenantNetworks } from '../networks/index.js';
import { NoCapacityError, placeReplicas } from '../scheduler/placement.js';
import { restartBackoffMs } from './convergence.js';
import { configFileText } from './haproxy-reload.js';
import { LoadBalancerConfigSync } from './load-balancer-config-sync.js';
import { LB_IMAGE, loadBalancerContainerSpec, softStopBalancer } from './load-balancer-container.js';
import { acceptsConnections } from './readiness.js';
import { APP_PORT, ReplicaLifecycle } from './replica-lifecycle.js';
import { placementHosts } from './placement-hosts.js';
import { Replica } from './replica.entity.js';

const READINESS_TIMEOUT_MS = 60_000;
/** A container younger than this may still be getting its row's container id written: never an orphan. */
const ORPHAN_GRACE_MS = 30_000;

export interface LoadBalancerStep {
  /** The app's balancer is as it should be: absent, or running with the current backends loaded. */
  converged: boolean;
  /** Set when the balancer cannot be placed or started; the app shows it as its status reason. */
  failure: string | null;
}

/**
 * One HAProxy container (role `lb`) per app that has `loadBalancer` set and should run, in front of its
 * web replicas. The reconciler calls `reconcile` at the end of every pass for an app; besides, every
 * AppChanges notice (e.g. a replica entering `stopping`, before its drain delay) triggers a configuration
 * sync at once, so the balancer stops sending traffic to a replica while it still answers.
 *
 * Per app everything is serialized in this process (one promise chain per app) and reloads also take a
 * PostgreSQL advisory lock, so two processes never reload one balancer at once.
 */
@Injectable()
export class LoadBalancerManager implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('LoadBalancers');
  private readonly appLocks = new Map<string, Promise<unknown>>();
  private readonly syncQueued = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pool: EnginePool,
    private readonly images: ImageDistribution,
    private readonly lifecycle: ReplicaLifecycle,
    private readonly changes: AppChanges,
    private readonly configs: LoadBalancerConfigSync,
    private readonly networks: TenantNetworks,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runWorkers) return;
    this.unsubscribe = this.changes.onChange((appId) => this.requestSync(appId));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Brings the app's balancer to what the app asks for; called by the reconciler at the end of a pass. */
  reconcile(input: {
    appId: string;
    app: App | null;
    release: Release | null;
    hosts: Host[];
    observed: Map<string, ContainerSummary>;
  }): Promise<LoadBalancerStep> {
    return this.withAppLock(input.appId, () => this.reconcileNow(input));
  }

  /** Re-renders the app's balancer configuration from the database and reloads it when it changed. */
  requestSync(appId: string): void {
    if (this.stopped || this.syncQueued.has(appId)) return;
    this.syncQueued.add(appId);
    this.track(
      this.withAppLock(appId, async () => {
        this.syncQueued.delete(appId);
        if (!this.stopped) await this.syncFromDatabase(appId);
      }).catch((err) => this.logger.warn(`sync of app ${appId}: ${describe(err)}`)),
    );
  }

  private async reconcileNow(input: {
    appId: string;
    app: App | null;
    release: Release | null;
    hosts: Host[];
    observed: Map<string, ContainerSummary>;
  }): Promise<LoadBalancerStep> {
    const { app, release, hosts, observed } = input;
    const repo = this.dataSource.getRepository(Replica);
    const hostById = new Map(hosts.map((h) => [h.id, h]));
    const balancers = await repo.find({
      where: { appId: input.appId, role: 'lb', state: Not('gone') },
      order: { createdAt: 'ASC' },
    });
    await this.removeOrphans(input.appId, balancers, hosts, observed);
    const wanted =
      !!app &&
      !app.deletingAt &&
      app.desiredState === 'running' &&
      !!app.loadBalancer &&
      !!release?.image &&
      app.currentReleaseId === release.id;

    // Keep at most one, and only on a host that may keep it; remove the rest.
    const keep = wanted
      ? balancers.find((b) => b.state !== 'stopping' && keepsWork(hostById.get(b.hostId)))
      : undefined;
    for (const balancer of balancers) {
      if (balancer !== keep) await this.remove(balancer, hostById.get(balancer.hostId));
    }
    if (!wanted) {
      this.configs.forgetApp(input.appId);
      return { converged: balancers.length === 0, failure: null };
    }
    if (!keep) {
      const failure = await this.create(app, release, hosts);
      return { converged: false, failure };
    }

    const host = hostById.get(keep.hostId)!;
    const observedRow = await this.observe(keep, host, observed);
    if (!observedRow || (observedRow.state !== 'starting' && observedRow.state !== 'running')) {
      return { converged: false, failure: null };
    }
    const sync = await this.configs.sync(app, observedRow, host, hosts);
    return {
      converged: sync === 'in-sync' && observedRow.state === 'running',
      // Never expected (the renderer validates its input): shown so an operator looks at the lb's lastError.
      failure:
        sync === 'rejected' ? 'load balancer configuration refused by haproxy -c (see its lastError)' : null,
    };
  }

  private async syncFromDatabase(appId: string): Promise<void> {
    const app = await this.dataSource.getRepository(App).findOne({ where: { id: appId } });
    if (!app?.loadBalancer || app.deletingAt || app.desiredState !== 'running') return;
    const balancer = await this.dataSource.getRepository(Replica).findOne({
      where: { appId, role: 'lb', state: In(['starting', 'running']) },
      order: { createdAt: 'ASC' },
    });
    if (!balancer?.containerId) return;
    const hosts = await this.pool.hosts();
    const host = hosts.find((h) => h.id === balancer.hostId);
    if (!host || host.status === 'down') return;
    await this.configs.sync(app, balancer, host, hosts);
  }

  /** Places, records, creates and starts the balancer container (the same steps as a web replica's). */
  private async create(app: App, release: Release, hosts: Host[]): Promise<string | null> {
    const repo = this.dataSource.getRepository(Replica);
    let placement: { hostId: string } | undefined;
    try {
      [placement] = placeReplicas(await placementHosts(this.dataSource, hosts), {
        appId: app.id,
        count: 1,
        memoryMb: release.memoryMb,
        existing: [],
      });
    } catch (err) {
      if (err instanceof NoCapacityError) return `load balancer: ${err.message}`;
      throw err;
    }
    const host = hosts.find((h) => h.id === placement?.hostId);
    if (!host) return 'load balancer: no host to place it on';
    const instance = crypto.randomBytes(4).toString('hex');
    // Recorded before the container exists (named as hardenedContainerSpec names it), so a crash of this
    // process in between leaves a row the next pass adopts by its label.
    const balancer = await repo.save(
      repo.create({
        appId: app.id,
        tenantId: app.tenantId,
        releaseId: null,
        hostId: host.id,
        role: 'lb',
        containerName: `berth-${app.id}-lb-${instance}`,
        state: 'pending',
        memoryMb: release.memoryMb,
        cpuMillis: release.cpuMillis,
      }),
    );
    try {
      const engine = await this.pool.engineFor(host);
      await this.images.ensureOn(host, LB_IMAGE);
      await this.networks.ensure({ host, tenantId: app.tenantId });
      const { text, hash } = await this.configs.desired(app, host, hosts);
      const spec = loadBalancerContainerSpec({
        tenantId: app.tenantId,
        appId: app.id,
        appName: app.name,
        replicaId: balancer.id,
        instance,
        configFile: configFileText({ text, hash, marker: `berth-lb-start ${hash}` }),
        plan: { memoryMb: release.memoryMb, cpuMillis: release.cpuMillis },
        port: APP_PORT,
        publishAddress: host.publicAddress,
      });
      const { id } = await engine.createContainer({ ...spec, name: balancer.containerName });
      await repo.update(balancer.id, { containerId: id });
      await engine.startContainer({ id });
      await this.lifecycle.recordStarted(balancer.id, await engine.inspectContainer({ id }));
      const { startedAt } = await repo.findOneByOrFail({ id: balancer.id });
      if (startedAt) this.configs.markApplied({ containerId: id, startedAt, hash });
      this.logger.log(`app ${app.id}: load balancer ${id.slice(0, 12)} started on host ${host.name}`);
      return null;
    } catch (err) {
      const message = describe(err);
      this.logger.warn(`load balancer of app ${app.id} failed to start: ${message}`);
      const current = await repo.findOneByOrFail({ id: balancer.id });
      if (current.containerId) {
        // Created but not started: the next passes retry the start with backoff.
        await repo.update(balancer.id, {
          state: 'crashed',
          restarts: 1,
          lastError: message.slice(0, 500),
          nextRestartAt: new Date(Date.now() + 1000),
        });
      } else {
        await repo.update(balancer.id, { state: 'gone', lastError: message.slice(0, 500) });
      }
      return `load balancer failed to start: ${message}`;
    }
  }

  /**
   * Folds what Docker says into the balancer's row, as the reconciler does for web replicas: adopted after a
   * crash of this process, started (run opened), accepting connections, exited (run closed, restarted with
   * backoff in the same container so its published port stays), vanished. Returns the fresh row, or null
   * when it is gone (the next pass creates another).
   */
  private async observe(
    balancer: Replica,
    host: Host,
    observed: Map<string, ContainerSummary>,
  ): Promise<Replica | null> {
    const repo = this.dataSource.getRepository(Replica);
    if (!balancer.containerId) {
      const adopted = [...observed.values()].find((c) => c.labels['berth.replica'] === balancer.id);
      if (adopted) {
        await repo.update(balancer.id, { containerId: adopted.id });
        balancer.containerId = adopted.id;
      } else if (Date.now() - balancer.createdAt.getTime() > 30_000) {
        await repo.update(balancer.id, { state: 'gone', lastError: 'container was never created' });
        return null;
      } else {
        return balancer;
      }
    }
    const summary = observed.get(balancer.containerId);
    if (!summary) {
      if (balancer.state === 'pending') return balancer;
      this.configs.forget(balancer.containerId);
      await this.lifecycle.closeRun(balancer.id, new Date());
      await repo.update(balancer.id, {
        state: 'gone',
        stoppedAt: new Date(),
        lastError: 'container disappeared',
      });
      return null;
    }
    const engine = await this.pool.engineFor(host);
    if (summary.state === 'running') {
      if (balancer.state === 'crashed' || balancer.state === 'pending') {
        await this.lifecycle.recordStarted(
          balancer.id,
          await engine.inspectContainer({ id: balancer.containerId }),
        );
        balancer = await repo.findOneByOrFail({ id: balancer.id });
      }
      if (balancer.state === 'starting' && balancer.hostPort) {
        if (await acceptsConnections(host.publicAddress, balancer.hostPort, 500)) {
          await repo.update(balancer.id, { state: 'running', lastError: null });
          balancer.state = 'running';
        } else if (balancer.startedAt && Date.now() - balancer.startedAt.getTime() > READINESS_TIMEOUT_MS) {
          await repo.update(balancer.id, { lastError: 'not accepting connections after 60 s' });
        }
      }
      return balancer;
    }
    if (balancer.state === 'running' || balancer.state === 'starting') {
      this.configs.forget(balancer.containerId);
      await this.lifecycle.recordCrash(balancer, await engine.inspectContainer({ id: balancer.containerId }));
      return repo.findOneByOrFail({ id: balancer.id });
    }
    if (balancer.state === 'crashed' && balancer.nextRestartAt && balancer.nextRestartAt <= new Date()) {
      await this.lifecycle.restart(balancer, host).catch(async (err) => {
        const restarts = balancer.restarts + 1;
        await repo.update(balancer.id, {
          restarts,
          nextRestartAt: new Date(Date.now() + restartBackoffMs(restarts)),
          lastError: `restart failed: ${describe(err)}`.slice(0, 500),
        });
      });
      return repo.findOneByOrFail({ id: balancer.id });
    }
    return balancer;
  }

  /**
   * Soft stop (SIGUSR1: HAProxy stops listening and lets open connections finish), then stop and remove
   * the container, close its run, mark it gone. Nothing is left: the configuration lived in its tmpfs.
   */
  private async remove(balancer: Replica, host: Host | undefined): Promise<void> {
    const repo = this.dataSource.getRepository(Replica);
    await repo.update(balancer.id, { state: 'stopping' });
    let stoppedAt = new Date();
    if (host && host.status !== 'down' && balancer.containerId) {
      stoppedAt =
        (await softStopBalancer(await this.pool.engineFor(host), balancer.containerId)) ?? stoppedAt;
    }
    if (balancer.containerId) this.configs.forget(balancer.containerId);
    await this.lifecycle.closeRun(balancer.id, stoppedAt);
    await repo.update(balancer.id, { state: 'gone', stoppedAt });
    this.logger.log(`app ${balancer.appId}: load balancer ${balancer.id} removed`);
  }

  /**
   * Balancer containers of this app whose row is gone or unknown (a crash between steps, a row given up on
   * while its creation was slow). Scoped to the app's own label: containers of other apps, and of other
   * Berth installations sharing a Docker host, are never touched.
   */
  private async removeOrphans(
    appId: string,
    balancers: Replica[],
    hosts: Host[],
    observed: Map<string, ContainerSummary>,
  ): Promise<void> {
    const live = new Set(balancers.map((b) => b.id));
    const orphans = [...observed.values()].filter(
      (c) =>
        c.labels[LABELS.app] === appId &&
        c.labels[LABELS.role] === 'lb' &&
        !live.has(c.labels['berth.replica'] ?? '') &&
        Date.now() - c.createdAt.getTime() > ORPHAN_GRACE_MS,
    );
    for (const container of orphans) {
      for (const host of hosts.filter((h) => h.status !== 'down')) {
        const engine = await this.pool.engineFor(host);
        if (!(await engine.inspectContainer({ id: container.id }))) continue;
        this.logger.warn(`app ${appId}: removing orphan load balancer container ${container.name}`);
        await engine.removeContainer({ id: container.id, force: true });
      }
    }
  }

  private withAppLock<T>(appId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.appLocks.get(appId) ?? Promise.resolve();
    const next = previous.then(work);
    const settled = next.catch(() => undefined);
    this.appLocks.set(appId, settled);
    void settled.then(() => {
      if (this.appLocks.get(appId) === settled) this.appLocks.delete(appId);
    });
    return next;
  }

  private track(promise: Promise<unknown>): void {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
  }
}

/** A host that may keep a balancer: ready or cordoned (draining and down hosts hand it elsewhere). */
function keepsWork(host: Host | undefined): boolean {
  return !!host && (host.status === 'ready' || host.status === 'cordoned');
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
