import { createHash } from 'node:crypto';
import { canonicalIpv4Cidr } from '../config/index.js';
import { LABELS, type HostGuardContainerSpec } from '../engine/index.js';

/** What Berth reports of a host's network policy (GET /v1/hosts/{id}: networkPolicy). */
export type NetworkPolicyState = 'applied' | 'pending' | 'failed' | 'unsupported' | 'off';

export interface NetworkPolicyReport {
  state: NetworkPolicyState;
  /** Why it is not applied (failed, pending, unsupported); null when applied or off. */
  reason: string | null;
}

/** The guard's id on its containers (also in its chain names: BERTH-EGRESS-<id>). */
export const HOST_GUARD_LABEL = 'berth.host-guard';
/** Hash of everything the guard is given: a guard with another hash is replaced. */
export const HOST_GUARD_CONFIG_LABEL = 'berth.host-guard.config';
export const HOST_GUARD_ROLE = 'host-guard';

export interface HostGuardInput {
  hostId: string;
  /** The tenant subnet pool (BERTH_TENANT_SUBNETS). */
  pool: string;
  /** BERTH_EGRESS_DENY. */
  deny: readonly string[];
  image: string;
  /** Seconds between the guard's checks of its rules. */
  intervalSeconds?: number;
}

export interface HostGuardPlan {
  id: string;
  configHash: string;
  spec: HostGuardContainerSpec;
}

/**
 * The guard one host gets. Pure. Its id is 8 hex digits of a hash of the host id, so guards of hosts that
 * share one kernel (scripts/pool-hosts.sh) keep chains of their own, and a removed host's guard is told
 * apart from its successor's. Every CIDR is checked (again: the config already refused malformed ones)
 * before it goes into the guard's env: only digits, dots and slashes reach it.
 */
export function hostGuardPlan(input: HostGuardInput): HostGuardPlan {
  const id = hostGuardId(input.hostId);
  const pool = canonicalIpv4Cidr(input.pool, 'tenant subnet pool');
  const deny = input.deny.map((cidr) => canonicalIpv4Cidr(cidr, 'BERTH_EGRESS_DENY'));
  const interval = input.intervalSeconds ?? 5;
  if (!Number.isInteger(interval) || interval < 1) throw new RangeError('intervalSeconds must be >= 1');
  const env = {
    BERTH_GUARD_ID: id,
    BERTH_GUARD_POOL: pool,
    BERTH_GUARD_DENY: deny.join(' '),
    BERTH_GUARD_INTERVAL: String(interval),
  };
  const configHash = createHash('sha256')
    .update(JSON.stringify({ image: input.image, env }))
    .digest('hex')
    .slice(0, 16);
  return {
    id,
    configHash,
    spec: {
      name: `berth-host-guard-${id}`,
      image: input.image,
      env,
      labels: {
        [LABELS.managedBy]: 'berth',
        [LABELS.role]: HOST_GUARD_ROLE,
        [HOST_GUARD_LABEL]: id,
        [HOST_GUARD_CONFIG_LABEL]: configHash,
      },
    },
  };
}

/** 8 hex digits of a hash of the host id. */
export function hostGuardId(hostId: string): string {
  return createHash('sha256').update(hostId).digest('hex').slice(0, 8);
}

const STATUS_PREFIX = 'host-guard: ';
const MAX_REASON = 500;

/**
 * The guard's state from its container state and last log lines (libs/hosts/host-guard.sh prints one line
 * per event: "applied ...", "failed: <why>", "removed"). Pure.
 */
export function guardStatus(containerState: string, lines: readonly string[]): NetworkPolicyReport {
  const last = [...lines].reverse().find((line) => line.startsWith(STATUS_PREFIX));
  const event = last?.slice(STATUS_PREFIX.length) ?? '';
  if (containerState !== 'running') {
    const why = event.startsWith('failed: ') ? `: ${event.slice('failed: '.length)}` : '';
    return { state: 'failed', reason: `the guard container is ${containerState}${why}`.slice(0, MAX_REASON) };
  }
  if (event.startsWith('applied')) return { state: 'applied', reason: null };
  if (event.startsWith('failed: ')) return { state: 'failed', reason: event.slice(8).slice(0, MAX_REASON) };
  return { state: 'pending', reason: 'the guard has not applied its rules yet' };
}
