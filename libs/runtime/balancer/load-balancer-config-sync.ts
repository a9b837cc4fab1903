import crypto from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { App } from '../../apps/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../../config/index.js';
import { tenantNetworkName, type ContainerEngine } from '../../engine/index.js';
import { EnginePool, type Host } from '../../hosts/index.js';
import { ContainerHaproxyControl } from './haproxy-control.js';
import {
  configHash,
  idleTimeoutForDrain,
  normalizeLoadBalancerSettings,
  renderHaproxyConfig,
} from './haproxy-config.js';
import {
  appliedHashOf,
  applyHaproxyConfig,
  ConfigRejectedError,
  configFileText,
  HAPROXY_FILES,
} from './haproxy-reload.js';
import { selectBackends, type BackendCandidate } from './load-balancer-backends.js';
import { APP_PORT } from '../replica-role.js';
import type { Replica } from '../replica.entity.js';
import { ReplicasRepository } from '../replicas.repository.js';
import { LOCK_CLASSES } from '../../db/index.js';

/** Advisory lock class of balancer reloads (two-int form; never collides with the loops' one-bigint keys). */

/** What this process knows about one app's balancer and its backends. */
interface AppConfigState {
  /** The balancer whose container was started from a configuration rendered here, and its hash. */
  startedFrom?: { balancerId: string; hash: string };
  /** The balancer container run (`containerId@startedAt`) the two hashes below are about. */
  run?: string;
  /** Hash of the configuration that run has loaded. */
  applied?: string;
  /** A configuration `haproxy -c` refused for that run: not retried until something changes. */
  rejected?: string;
  /** Tenant-network addresses of web replicas on the balancer's host, by `containerId@startedAt`. */
  replicaIps: Map<string, string>;
}

/**
 * The configuration side of an app's load balancer: renders it from the replicas the reconciler knows,
 * and brings a running balancer to it (validate, swap, reload, restore on failure). It alone keeps what
 * each app's balancer has loaded, per container run: a run starts from the configuration in its
 * container's env (rendered here by `startConfig`, or read from the file when another process made it),
 * and only a reload here changes it, so an unchanged configuration costs no exec. Where the balancer runs
 * is LoadBalancerManager's business; it hands the current balancer (or none) to `sync`.
 */
@Injectable()
export class LoadBalancerConfigSync {
  private readonly logger = new Logger('LoadBalancers');
  private readonly apps = new Map<string, AppConfigState>();

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pool: EnginePool,
    private readonly replicas: ReplicasRepository,
  ) {}

  /**
   * The file a new balancer container starts from (in its env): the configuration for the app's current
   * backends, marked with its hash. Every start of that container loads it again.
   */
  async startConfig(app: App, balancerId: string, host: Host, hosts: Host[]): Promise<string> {
    const { text, hash } = await this.desired(app, host, hosts);
    this.stateOf(app.id).startedFrom = { balancerId, hash };
    return configFileText({ text, hash, marker: `berth-lb-start ${hash}` });
  }

  /**
   * Brings the app's balancer to the configuration for its current backends: when its run has loaded
   * something else, applies it (validate, swap, reload, restore on failure). `balancer` null: the app has
   * no balancer, and what was known about it is dropped.
   */
  async sync(
    appId: string,
    balancer: { app: App; replica: Replica; host: Host; hosts: Host[] } | null,
  ): Promise<'in-sync' | 'pending' | 'rejected'> {
    if (!balancer) {
      this.apps.delete(appId);
      return 'in-sync';
    }
    const { app, replica, host, hosts } = balancer;
    if (!replica.containerId || !replica.startedAt) return 'pending';
    try {
      const { text, hash, backends } = await this.desired(app, host, hosts);
      const state = this.stateOf(app.id);
      const run = `${replica.containerId}@${replica.startedAt.getTime()}`;
      if (state.run !== run) {
        // A run this process has not reloaded: it runs its container's start configuration.
        state.run = run;
        state.rejected = undefined;
        state.applied = state.startedFrom?.balancerId === replica.id ? state.startedFrom.hash : undefined;
      }
      if (state.applied === hash) return 'in-sync';
      if (state.rejected === hash) return 'rejected';

      const control = new ContainerHaproxyControl(await this.pool.engineFor(host), replica.containerId);
      if (state.applied === undefined) {
        // Started (or reloaded) by another process: ask the file, whose first line carries its hash.
        state.applied = appliedHashOf(await control.readFile(HAPROXY_FILES.live));
        if (state.applied === hash) return 'in-sync';
      }
      const marker = `berth-lb-apply ${hash} ${crypto.randomBytes(4).toString('hex')}`;
      const started = Date.now();
      try {
        await this.withReloadLock(app.id, () => applyHaproxyConfig(control, { text, hash, marker }));
      } catch (err) {
        if (!(err instanceof ConfigRejectedError)) throw err;
        state.rejected = hash;
        this.logger.error(`app ${app.id}: load balancer configuration refused: ${err.message}`);
        await this.replicas.setLastError(replica.id, err.message.slice(0, 500));
        return 'rejected';
      }
      state.applied = hash;
      if (replica.lastError) await this.replicas.setLastError(replica.id, null);
      this.logger.log(
        `app ${app.id}: load balancer reloaded with ${backends} backend(s) in ${Date.now() - started} ms (${hash})`,
      );
      return 'in-sync';
    } catch (err) {
      // The balancer keeps serving what it has; the next pass (or removal) tries again.
      this.logger.warn(`app ${app.id}: load balancer configuration not applied: ${describe(err)}`);
      await this.replicas.setLastError(replica.id, describe(err).slice(0, 500));
      return 'pending';
    }
  }

  /** The configuration the app's balancer on `host` should run now. */
  private async desired(
    app: App,
    host: Host,
    hosts: Host[],
  ): Promise<{ text: string; hash: string; backends: number }> {
    const hostById = new Map(hosts.map((h) => [h.id, h]));
    const web = await this.replicas.runningWebOfApp(app.id);
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
    const state = this.stateOf(app.id);
    const next = new Map<string, string>();
    const byReplica = new Map<string, string>();
    const network = tenantNetworkName(app.tenantId);
    for (const replica of replicas) {
      if (!replica.containerId) continue;
      const run = `${replica.containerId}@${replica.startedAt?.getTime() ?? 0}`;
      let ip = state.replicaIps.get(run);
      if (!ip) {
        const details = await engine.inspectContainer({ id: replica.containerId });
        ip = details?.networks[network]?.ipAddress || undefined;
      }
      if (ip) {
        next.set(run, ip);
        byReplica.set(replica.id, ip);
      }
    }
    state.replicaIps = next;
    return byReplica;
  }

  private stateOf(appId: string): AppConfigState {
    let state = this.apps.get(appId);
    if (!state) {
      state = { replicaIps: new Map() };
      this.apps.set(appId, state);
    }
    return state;
  }

  /** One reload per app across processes: a transaction-scoped advisory lock held while it runs. */
  private withReloadLock<T>(appId: string, work: () => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        LOCK_CLASSES.balancerReload,
        appId,
      ]);
      return work();
    });
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
