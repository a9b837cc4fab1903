import type { ContainerEngine, ContainerSpec } from '../engine/index.js';
import type { Host } from '../hosts/index.js';
import { targetAccepts, type ReadinessTarget } from './readiness.js';
import type { Replica, ReplicaRole as RoleName } from './replica.entity.js';

/** The port every app listens on inside its container (the PORT contract); balancers listen on it too. */
export const APP_PORT = 8080;
export const STOP_GRACE_SECONDS = 10;
/** The label that ties a container to its replica row (set at creation, read at adoption). */
export const REPLICA_LABEL = 'berth.replica';

/**
 * What differs between the roles a replica plays (`web`: the tenant's code, `lb`: its HAProxy) in the one
 * lifecycle they share (ReplicaLifecycle): everything else (row first, adoption by label, runs for
 * metering, restart with backoff, orphans) is the same for both.
 */
export interface ReplicaRole {
  name: RoleName;
  /** The port the container serves on; Docker publishes it at the host's public address. */
  port: number;
  /**
   * True once the replica serves on its published port (a `starting` replica becomes `running`); web
   * replicas of a release with a health check must pass it (ReplicaHealth).
   */
  isReady(target: ReadinessTarget, replica?: Replica): Promise<boolean>;
  /** Whether isReady uses the container's own address when given one (else the lifecycle never looks it up). */
  readyOnOwnAddress: boolean;
  /**
   * Stops and removes the container; resolves with the time Docker says it stopped (undefined when it
   * did not say).
   */
  stopAndRemove(engine: ContainerEngine, containerId: string): Promise<Date | undefined>;
}

/** A new replica of a role: what its row records and how its container spec is made. */
export interface ReplicaDraft {
  app: { id: string; tenantId: string };
  releaseId: string | null;
  host: Host;
  image: string;
  /** The release's manifest digest: the host pulls exactly this from the registry (see ImageDistribution). */
  imageDigest?: string | null;
  memoryMb: number;
  cpuMillis: number;
  /** The name hardenedContainerSpec gives the container, recorded in the row before the container exists. */
  containerName(instance: string): string;
  /** The container's spec; it carries `berth.replica=<replicaId>` so a crash before its id is saved is adopted. */
  spec(ids: { replicaId: string; instance: string }): ContainerSpec | Promise<ContainerSpec>;
}

export const WEB_ROLE: ReplicaRole = {
  name: 'web',
  port: APP_PORT,
  isReady: (target) => targetAccepts(target),
  readyOnOwnAddress: true,
  /** SIGTERM (Docker's init hands it to node), the grace period, SIGKILL. */
  async stopAndRemove(engine, id) {
    await engine.stopContainer({ id, graceSeconds: STOP_GRACE_SECONDS });
    const stoppedAt = (await engine.inspectContainer({ id }))?.finishedAt;
    await engine.removeContainer({ id, force: true });
    return stoppedAt;
  },
};
