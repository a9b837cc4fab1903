import type { HostStatus } from '../hosts/index.js';
import { REPLICA_LABEL } from './replica-role.js';
import type { ReplicaState } from './replica.entity.js';

export interface ReplicaView {
  id: string;
  releaseId: string | null;
  state: ReplicaState;
  hostStatus: HostStatus;
  createdAt: Date;
  nextRestartAt: Date | null;
}

export interface ConvergenceInput {
  /** 0 when the app is stopped, has no release or is being deleted. */
  desiredReplicas: number;
  currentReleaseId: string | null;
  restartRequestedAt: Date | null;
  replicas: ReplicaView[];
  now: Date;
}

export interface ConvergenceStep {
  /** New replicas of the current release to place and start. */
  create: number;
  /** Replicas to stop and remove. */
  remove: string[];
  /** Crashed replicas whose backoff has elapsed: start their container again. */
  restart: string[];
  converged: boolean;
}

const LIVE: ReadonlySet<ReplicaState> = new Set(['pending', 'starting', 'running', 'crashed']);
/** Which surplus replica goes first: those that serve nobody, then the newest. */
const REMOVAL_ORDER: Record<ReplicaState, number> = {
  crashed: 0,
  pending: 1,
  starting: 2,
  running: 3,
  stopping: 4,
  gone: 5,
};

/**
 * One step of the reconciler for one app, as a pure function of desired and observed state.
 *
 * A replica is *fresh* when it runs the current release, was created after the last restart request and
 * sits on a host that may keep it (ready or cordoned). Stale replicas keep serving until enough fresh ones
 * accept connections, so a redeploy, a restart or a drain never drops below the desired count of running
 * replicas (start new, wait until ready, then stop old).
 */
export function planConvergence(input: ConvergenceInput): ConvergenceStep {
  const live = input.replicas.filter((r) => LIVE.has(r.state));
  const isFresh = (r: ReplicaView) =>
    r.releaseId !== null &&
    r.releaseId === input.currentReleaseId &&
    (input.restartRequestedAt === null || r.createdAt >= input.restartRequestedAt) &&
    (r.hostStatus === 'ready' || r.hostStatus === 'cordoned');
  const fresh = live.filter(isFresh);
  const stale = live.filter((r) => !isFresh(r));
  const desired = Math.max(0, input.desiredReplicas);

  if (desired === 0) {
    return { create: 0, remove: live.map((r) => r.id), restart: [], converged: live.length === 0 };
  }

  const remove: string[] = [];
  let keptFresh = fresh;
  if (fresh.length > desired) {
    const surplus = [...fresh]
      .sort(
        (a, b) =>
          REMOVAL_ORDER[a.state] - REMOVAL_ORDER[b.state] || b.createdAt.getTime() - a.createdAt.getTime(),
      )
      .slice(0, fresh.length - desired);
    remove.push(...surplus.map((r) => r.id));
    keptFresh = fresh.filter((r) => !surplus.includes(r));
  }
  const create = Math.max(0, desired - fresh.length);

  const freshRunning = keptFresh.filter((r) => r.state === 'running').length;
  // Stale replicas that serve nobody (or sit on a host that is gone) can go at once; running ones only as
  // fresh replicas take over, so at least `desired` replicas keep running throughout.
  const staleIdle = stale.filter((r) => r.state !== 'running' || r.hostStatus === 'down');
  const staleServing = stale
    .filter((r) => !staleIdle.includes(r))
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const mustKeep = Math.max(0, desired - freshRunning);
  remove.push(...staleIdle.map((r) => r.id), ...staleServing.slice(mustKeep).map((r) => r.id));

  const restart = keptFresh.filter((r) => restartDue(r, input.now)).map((r) => r.id);

  const converged =
    create === 0 &&
    remove.length === 0 &&
    stale.length === 0 &&
    keptFresh.length === desired &&
    freshRunning === desired;
  return { create, remove, restart, converged };
}

/** Exponential restart backoff for a crashing replica: 1 s, 2 s, 4 s … capped at 5 minutes. */
export function restartBackoffMs(restarts: number): number {
  return Math.min(300_000, 1000 * 2 ** Math.max(0, restarts - 1));
}

/** A replica that has crashed this many times in a row is shown as crash-looping. */
export const CRASHLOOP_THRESHOLD = 3;

/** A crashed replica whose backoff has elapsed: its container is started again. */
export function restartDue(replica: Pick<ReplicaView, 'state' | 'nextRestartAt'>, now: Date): boolean {
  return replica.state === 'crashed' && replica.nextRestartAt !== null && replica.nextRestartAt <= now;
}

/** A container younger than this may still be getting its row's container id written: never an orphan. */
export const ORPHAN_GRACE_MS = 30_000;

/**
 * Containers to remove: those whose replica (`berth.replica` label, any role) this installation has marked
 * gone (a removal that crashed midway, a host that came back after its replicas were replaced, a balancer
 * given up on while its creation was slow). A replica id it does not know belongs to another Berth sharing
 * the engine (a second installation, a test run) and is left alone. Pure.
 */
export function orphanContainers<C extends { labels: Record<string, string>; createdAt: Date }>(
  containers: Iterable<C>,
  goneReplicaIds: ReadonlySet<string>,
  now: Date,
): C[] {
  return [...containers].filter(
    (c) =>
      goneReplicaIds.has(c.labels[REPLICA_LABEL] ?? '') &&
      now.getTime() - c.createdAt.getTime() >= ORPHAN_GRACE_MS,
  );
}
