import crypto from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { App } from '../../apps/app.entity.js';
import { BERTH_CONFIG, type BerthConfig } from '../../config/config.js';
import { tenantNetworkName, type ContainerEngine } from '../../engine/index.js';
import { EnginePool } from '../../hosts/engine-pool.js';
import type { Host } from '../../hosts/host.entity.js';
import { ContainerHaproxyControl } from './haproxy-control.js';
import {
  configHash,
  idleTimeoutForDrain,
  normalizeLoadBalancerSettings,
  renderHaproxyConfig,
} from './haproxy-config.js';
import { appliedHashOf, applyHaproxyConfig, ConfigRejectedError, HAPROXY_FILES } from './haproxy-reload.js';
import { selectBackends, type BackendCandidate } from './load-balancer-backends.js';
import { APP_PORT } from '../replica-lifecycle.js';
import { Replica } from '../replica.entity.js';

/** Advisory lock class of balancer reloads (two-int form; never collides with the loops' one-bigint keys). */
const RELOAD_LOCK_CLASS = 7_310_100;

/**
 * The configuration side of an app's load balancer: renders it from the replicas the reconciler knows,
 * and brings a running balancer to it (validate, swap, reload, restore on failure), remembering per
 * container run what it has loaded so an unchanged configuration costs no exec. The container side
 * (create, observe, remove) is LoadBalancerManager's.
 */
@Injectable()
export class LoadBalancerConfigSync {
  private readonly logger = new Logger('LoadBalancers');
  /** Hash of the configuration each balancer run has loaded, by `containerId@startedAt`. */
  private readonly applied = new Map<string, string>();
  /** A configuration `haproxy -c` refused for that run: not retried until something changes. */
  private readonly rejected = new Map<string, string>();
  /** Tenant-network addresses of web replicas, by app, by `containerId@startedAt`. */
  private readonly replicaIps = new Map<string, Map<string, string>>();

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pool: EnginePool,
  ) {}

  /** A balancer started with this configuration in its file: no reload needed for it. */
  markApplied(run: { containerId: string; startedAt: Date; hash: string }): void {
    this.applied.set(`${run.containerId}@${run.startedAt.getTime()}`, run.hash);
  }

  /** The app no longer has a balancer: drop its replicas' addresses. */
  forgetApp(appId: string): void {
    this.replicaIps.delete(appId);
  }

  /**
   * Renders the configuration for the app's current backends and, when the balancer runs something else,
   * applies it (validate, swap, reload, restore on failure). True when the balancer runs the current one.
   */
  async sync(
    app: App,
    balancer: Replica,
    host: Host,
    hosts: Host[],
  ): Promise<'in-sync' | 'pending' | 'rejected'> {
    if (!balancer.containerId || !balancer.startedAt) return 'pending';
    const run = `${balancer.containerId}@${balancer.startedAt.getTime()}`;
    const repo = this.dataSource.getRepository(Replica);
    try {
      const { text, hash, backends } = await this.desired(app, host, hosts);
      if (this.applied.get(run) === hash) return 'in-sync';
      if (this.rejected.get(run) === hash) return 'rejected';

      const control = new ContainerHaproxyControl(await this.pool.engineFor(host), balancer.containerId);
      if (!this.applied.has(run)) {
        // First look at this run (new container, restart, or another process applied it): ask the file.
        const current = appliedHashOf(await control.readFile(HAPROXY_FILES.live));
        if (current) this.applied.set(run, current);
        if (current === hash) return 'in-sync';
      }
      const marker = `berth-lb-apply ${hash} ${crypto.randomBytes(4).toString('hex')}`;
      const started = Date.now();
      try {
        await this.withReloadLock(app.id, () => applyHaproxyConfig(control, { text, hash, marker }));
      } catch (err) {
        if (!(err instanceof ConfigRejectedError)) throw err;
        this.rejected.set(run, hash);
        this.logger.error(`app ${app.id}: load balancer configuration refused: ${err.message}`);
        await repo.update(balancer.id, { lastError: err.message.slice(0, 500) });
        return 'rejected';
      }
      this.applied.set(run, hash);
      if (balancer.lastError) await repo.update(balancer.id, { lastError: null });
      this.logger.log(
        `app ${app.id}: load balancer reloaded with ${backends} backend(s) in ${Date.now() - started} ms (${hash})`,
      );
      return 'in-sync';
    } catch (err) {
      // The balancer keeps serving what it has; the next pass (or change) tries again.
      this.logger.warn(`app ${app.id}: load balancer configuration not applied: ${describe(err)}`);
      await repo.update(balancer.id, { lastError: describe(err).slice(0, 500) });
      return 'pending';
    }
  }

  /** The configuration the app's balancer on `host` should run now. */
  async desired(
    app: App,
    host: Host,
    hosts: Host[],
  ): Promise<{ text: string; hash: string; backends: number }> {
    const hostById = new Map(hosts.map((h) => [h.id, h]));
    const web = await this.dataSource.getRepository(Replica).find({
      where: { appId: app.id, role: 'web', state: 'running' },
    });
    const engine = await this.pool.engineFor(host);
    const ips = await this.sameHostAddresses(
      app,
      web.filter((r) => r.hostId === host.id),
      engine,
    );
    const candidates: BackendCandidate[] = web.map((r) => ({
      replicaId: r.id,
      state: r.state,
      hostId: r.hostId,
      hostStatus: hostById.get(r.hostId)?.status,
      hostAddress: hostById.get(r.hostId)?.publicAddress,
      hostPort: r.hostPort,
      containerIp: ips.get(r.id),
    }));
    const backends = selectBackends({ lbHostId: host.id, appPort: APP_PORT, replicas: candidates });
    const text = renderHaproxyConfig({
      settings: normalizeLoadBalancerSettings(app.loadBalancer),
      backends,
      listenPort: APP_PORT,
      keepAliveTimeoutMs: idleTimeoutForDrain(this.config.drainDelayMs),
    });
    return { text, hash: configHash(text), backends: backends.length };
  }

  /** Tenant-network addresses of replicas on the balancer's host (inspected once per container run). */
  private async sameHostAddresses(
    app: App,
    replicas: Replica[],
    engine: ContainerEngine,
  ): Promise<Map<string, string>> {
    const previous = this.replicaIps.get(app.id) ?? new Map<string, string>();
    const next = new Map<string, string>();
    const byReplica = new Map<string, string>();
    const network = tenantNetworkName(app.tenantId);
    for (const replica of replicas) {
      if (!replica.containerId) continue;
      const run = `${replica.containerId}@${replica.startedAt?.getTime() ?? 0}`;
      let ip = previous.get(run);
      if (!ip) {
        const details = await engine.inspectContainer({ id: replica.containerId });
        ip = details?.networks[network]?.ipAddress || undefined;
      }
      if (ip) {
        next.set(run, ip);
        byReplica.set(replica.id, ip);
      }
    }
    this.replicaIps.set(app.id, next);
    return byReplica;
  }

  /** Drops what is known about a balancer container's runs (it was removed or replaced). */
  forget(containerId: string): void {
    for (const map of [this.applied, this.rejected]) {
      for (const key of map.keys()) if (key.startsWith(`${containerId}@`)) map.delete(key);
    }
  }

  /** One reload per app across processes: a transaction-scoped advisory lock held while it runs. */
  private withReloadLock<T>(appId: string, work: () => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [RELOAD_LOCK_CLASS, appId]);
      return work();
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
