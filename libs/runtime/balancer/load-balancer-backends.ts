import net from 'node:net';
import type { HostStatus } from '../../hosts/index.js';
import type { HaproxyBackend } from './haproxy-config.js';
import type { ReplicaState } from '../replica.entity.js';

/** A web replica of the app, with what is known about how to reach it. */
export interface BackendCandidate {
  replicaId: string;
  state: ReplicaState;
  hostId: string;
  /** Undefined when the host is not registered any more. */
  hostStatus: HostStatus | undefined;
  /** The host's public address (where published ports answer). */
  hostAddress: string | undefined;
  /** The replica's published port on its host. */
  hostPort: number | null;
  /** The replica's address on the tenant network, when it runs on the balancer's host and is known. */
  containerIp: string | undefined;
}

/**
 * Which replicas the balancer sends traffic to, and at which address. Pure.
 *
 * - Only `running` replicas: the reconciler marks a replica running once it accepts connections, and
 *   moves it to `stopping` before its drain delay, so a replica leaves the balancer while it still
 *   answers. `starting` ones are left out: a server is in rotation from the moment HAProxy loads it (before
 *   its first health check), and a replica that does not listen yet would only cost retries.
 * - On the balancer's host: the replica's tenant-network address and the app port (the traffic never
 *   leaves the tenant's bridge). On another host: that host's public address and the replica's published
 *   port. A loopback public address is reachable only from its own host, so such replicas are left out.
 * - Replicas on a host that is down are left out (health checks would find them dead anyway).
 */
export function selectBackends(input: {
  lbHostId: string;
  appPort: number;
  replicas: readonly BackendCandidate[];
}): HaproxyBackend[] {
  const backends: HaproxyBackend[] = [];
  for (const replica of input.replicas) {
    if (replica.state !== 'running') continue;
    if (replica.hostStatus === undefined || replica.hostStatus === 'down') continue;
    const name = `r-${replica.replicaId}`;
    if (replica.hostId === input.lbHostId) {
      if (replica.containerIp && net.isIP(replica.containerIp) !== 0) {
        backends.push({ name, address: replica.containerIp, port: input.appPort });
      }
      continue;
    }
    if (!replica.hostAddress || net.isIP(replica.hostAddress) === 0 || isLoopback(replica.hostAddress))
      continue;
    if (!replica.hostPort) continue;
    backends.push({ name, address: replica.hostAddress, port: replica.hostPort });
  }
  return backends.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
