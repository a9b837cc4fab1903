import net from 'node:net';
import { parseHostEndpoint } from '../hosts/index.js';

/**
 * How long a connection must stay open to count. Docker's userland proxy closes a connection it cannot
 * forward as soon as its own connect to the container is refused: 0.08 ms at the median and 3.7 ms at
 * most over 300 connections at load average 15 on the 2-core development machine (bench/README.md,
 * "Where a warm deploy's time goes"), so 100 ms is still ~25 times the worst seen. It was 250 ms, paid by
 * every replica start before it is listed. Paid now only where the container's own address is not used
 * (a remote pool host, a balancer, an address that cannot be reached): see targetAccepts.
 */
export const READINESS_SETTLE_MS = 100;

/**
 * True when something behind host:port accepts and keeps a connection. A bare TCP connect is not enough:
 * Docker's userland proxy accepts on the published port even while nothing listens inside the container,
 * then closes the connection at once. So a connection counts only if it answers with data or is still open
 * after `settleMs`.
 */
export function acceptsConnections(
  host: string,
  port: number,
  timeoutMs = 1000,
  settleMs = READINESS_SETTLE_MS,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(settle);
      socket.destroy();
      resolve(ok);
    };
    let settle: NodeJS.Timeout | undefined;
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => {
      settle = setTimeout(() => done(true), settleMs);
    });
    socket.once('data', () => done(true));
    socket.once('close', () => done(false));
    socket.once('error', () => done(false));
  });
}

/** What a bare TCP connect found: something accepted, the address refused (nothing listens), or neither. */
export type ConnectOutcome = 'accepted' | 'refused' | 'unreachable';

/**
 * One TCP connect, closed at once. Meant for an address with no proxy in front (a container's own address
 * on its network), where an accepted connection means the app listens and a refusal comes back at once.
 */
export function tryConnect(host: string, port: number, timeoutMs = 200): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (outcome: ConnectOutcome) => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => done('unreachable'));
    socket.once('connect', () => done('accepted'));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code === 'ECONNREFUSED' ? 'refused' : 'unreachable'),
    );
  });
}

/**
 * Where a starting replica's readiness is checked. `published` (the host's public address and the
 * published port) works from any API process but sits behind Docker's userland proxy, hence the settle.
 * `direct` (the container's own address and port on its tenant network) is given only when this process
 * runs on the engine's machine (PlacedReadiness.targetFor): no proxy, so no settle.
 */
export interface ReadinessTarget {
  published: { address: string; port: number };
  direct?: { address: string; port: number };
  /** When the container started: a refusal on `direct` is trusted only so long (DIRECT_REFUSAL_TRUST_MS). */
  startedAt: Date | null;
}

/**
 * How long a refused connect on the container's own address is taken at its word. Past it, the published
 * port is asked too: were the direct address refused by something other than the container (a firewall
 * answering with resets), the replica is then only as late as before, never stuck.
 */
export const DIRECT_REFUSAL_TRUST_MS = 3000;

/**
 * True once the replica accepts connections: on its own address when there is one (accepted: ready;
 * refused: not yet, within DIRECT_REFUSAL_TRUST_MS), otherwise (or when that address cannot be reached,
 * as from an API running in a container of its own) on the published port with the settle.
 */
export async function targetAccepts(
  target: ReadinessTarget,
  settleMs = READINESS_SETTLE_MS,
  now = Date.now(),
): Promise<boolean> {
  if (target.direct) {
    const outcome = await tryConnect(target.direct.address, target.direct.port);
    if (outcome === 'accepted') return true;
    const age = target.startedAt ? now - target.startedAt.getTime() : 0;
    if (outcome === 'refused' && age < DIRECT_REFUSAL_TRUST_MS) return false;
  }
  return acceptsConnections(target.published.address, target.published.port, 500, settleMs);
}

/**
 * The target of a starting replica's readiness check. The container's own address is used only when the
 * engine is reached over a unix socket, i.e. runs on this process's machine, whose routes lead to its
 * bridges (the host guard lets the host open connections to containers and takes their replies:
 * docs/network-policy.md); a remote pool host's tenant networks are not routed here.
 */
export function readinessTarget(input: {
  host: { endpoint: string; publicAddress: string };
  hostPort: number;
  containerPort: number;
  /** The container's address on its tenant network ('' or undefined: unknown). */
  containerAddress: string | undefined;
  startedAt: Date | null;
}): ReadinessTarget {
  const published = { address: input.host.publicAddress, port: input.hostPort };
  if (
    !engineIsLocal(input.host.endpoint) ||
    !input.containerAddress ||
    net.isIP(input.containerAddress) === 0
  )
    return { published, startedAt: input.startedAt };
  return {
    published,
    direct: { address: input.containerAddress, port: input.containerPort },
    startedAt: input.startedAt,
  };
}

/** True for an engine reached over a unix socket: it runs on this process's machine. */
export function engineIsLocal(endpoint: string): boolean {
  const parsed = parseHostEndpoint(endpoint);
  return 'kind' in parsed && parsed.kind === 'unix';
}
