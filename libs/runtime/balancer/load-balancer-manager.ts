import { Injectable, Logger } from '@nestjs/common';
import type { App, Release } from '../../apps/index.js';
import type { ContainerSummary } from '../../engine/index.js';
import type { Host } from '../../hosts/index.js';
import { NoCapacityError, placeReplicas } from '../../scheduler/index.js';
import { restartDue } from '../convergence.js';
import { placementHosts } from '../placement-hosts.js';
import { ReplicaLifecycle, ReplicaNotWantedError } from '../replica-lifecycle.js';
import type { Replica } from '../replica.entity.js';
import { ReplicasRepository } from '../replicas.repository.js';
import { LoadBalancerConfigSync } from './load-balancer-config-sync.js';
import { LB_IMAGE, LB_ROLE, loadBalancerContainerSpec } from './load-balancer-container.js';

export interface LoadBalancerStep {
  /** The app's balancer is as it should be: absent, or running with the current backends loaded. */
  converged: boolean;
  /** Set when the balancer cannot be placed or started; the app shows it as its status reason. */
  failure: string | null;
}

/**
 * Whether an app has a balancer (one HAProxy container, role `lb`, when it has `loadBalancer` set and
 * should run) and where it runs. Its container goes through the replicas' own lifecycle (ReplicaLifecycle
 * with LB_ROLE); its configuration is LoadBalancerConfigSync's. Called by the reconciler inside its per-app
 * lock: `reconcile` at the end of every pass, `syncBackends` when replicas leave rotation mid-pass.
 */
@Injectable()
export class LoadBalancerManager {
  private readonly logger = new Logger('LoadBalancers');

  constructor(
    private readonly replicas: ReplicasRepository,
    private readonly lifecycle: ReplicaLifecycle,
    private readonly configs: LoadBalancerConfigSync,
  ) {}

  /** Brings the app's balancer to what the app asks for; called by the reconciler at the end of a pass. */
  async reconcile(input: {
    appId: string;
    app: App | null;
    release: Release | null;
    hosts: Host[];
    observed: Map<string, ContainerSummary>;
    /** The app's lb replicas other than gone, oldest first, when the pass read them already. */
    balancers?: Replica[];
  }): Promise<LoadBalancerStep> {
    const { app, release, hosts, observed } = input;
    const hostById = new Map(hosts.map((h) => [h.id, h]));
    const balancers = input.balancers ?? (await this.replicas.liveOfApp(input.appId, 'lb'));
    const wanted =
      !!app &&
      !app.deletingAt &&
      app.desiredState === 'running' &&
      !app.sleepingSince &&
      !!app.loadBalancer &&
      !!release?.image &&
      app.currentReleaseId === release.id;

    // Keep at most one, and only on a host that may keep it; remove the rest.
    const keep = wanted
      ? balancers.find((b) => b.state !== 'stopping' && keepsWork(hostById.get(b.hostId)))
      : undefined;
    await this.lifecycle.remove(
      LB_ROLE,
      balancers.filter((b) => b !== keep),
      hostById,
    );
    if (!wanted) {
      await this.configs.sync(input.appId, null);
      return { converged: balancers.length === 0, failure: null };
    }
    if (!keep) return { converged: false, failure: await this.create(app, release, hosts) };

    const host = hostById.get(keep.hostId)!;
    let balancer = await this.lifecycle.observe(LB_ROLE, keep, host, observed);
    if (balancer && restartDue(balancer, new Date())) {
      await this.lifecycle.restart(LB_ROLE, balancer, host);
      balancer = await this.replicas.byId(balancer.id);
    }
    if (!balancer || (balancer.state !== 'starting' && balancer.state !== 'running')) {
      return { converged: false, failure: null };
    }
    const sync = await this.configs.sync(app.id, { app, replica: balancer, host, hosts });
    return {
      converged: sync === 'in-sync' && balancer.state === 'running',
      // Never expected (the renderer validates its input): shown so an operator looks at the lb's lastError.
      failure:
        sync === 'rejected' ? 'load balancer configuration refused by haproxy -c (see its lastError)' : null,
    };
  }

  /**
   * Reloads the app's running balancer with its current backends at once: the reconciler calls it when web
   * replicas have just become `stopping`, so HAProxy stops sending them traffic while they still answer.
   */
  async syncBackends(app: App, hosts: Host[]): Promise<void> {
    if (!app.loadBalancer || app.deletingAt || app.desiredState !== 'running' || app.sleepingSince) return;
    const balancer = await this.replicas.servingBalancerOf(app.id);
    const host = hosts.find((h) => h.id === balancer?.hostId);
    if (!balancer?.containerId || !host || host.status === 'down') return;
    await this.configs.sync(app.id, { app, replica: balancer, host, hosts });
  }

  /** Places the balancer and starts it from the configuration for the app's current backends. */
  private async create(app: App, release: Release, hosts: Host[]): Promise<string | null> {
    let placement: { hostId: string } | undefined;
    try {
      [placement] = placeReplicas(await placementHosts(this.replicas, hosts), {
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
    const plan = { memoryMb: release.memoryMb, cpuMillis: release.cpuMillis };
    try {
      const balancer = await this.lifecycle.create(LB_ROLE, {
        app,
        releaseId: null,
        host,
        image: LB_IMAGE,
        ...plan,
        containerName: (instance) => `berth-${app.id}-lb-${instance}`,
        spec: async ({ replicaId, instance }) =>
          loadBalancerContainerSpec({
            tenantId: app.tenantId,
            appId: app.id,
            appName: app.name,
            replicaId,
            instance,
            configFile: await this.configs.startConfig(app, replicaId, host, hosts),
            plan,
            port: LB_ROLE.port,
            publishAddress: host.publicAddress,
          }),
      });
      this.logger.log(
        `app ${app.id}: load balancer ${balancer.containerId?.slice(0, 12)} started on host ${host.name}`,
      );
      return null;
    } catch (err) {
      if (err instanceof ReplicaNotWantedError) return null; // the next pass sees the stop
      return `load balancer failed to start: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
}

/** A host that may keep a balancer: ready or cordoned (draining and down hosts hand it elsewhere). */
function keepsWork(host: Host | undefined): boolean {
  return !!host && (host.status === 'ready' || host.status === 'cordoned');
}
