import type { HealthCheckSettings } from '../apps/index.js';
import { CRASHLOOP_THRESHOLD } from './convergence.js';
import type { ReplicaState } from './replica.entity.js';

/** One replica's consecutive probe results since its container last started (kept by ReplicaHealth). */
export interface HealthRecord {
  /** The container start these results belong to (ms since the epoch); a restart starts a new record. */
  startedAt: number;
  passes: number;
  failures: number;
  lastProbeAt: number | null;
  lastDetail: string | null;
}

export function freshRecord(startedAt: number): HealthRecord {
  return { startedAt, passes: 0, failures: 0, lastProbeAt: null, lastDetail: null };
}

/** A probe is due once the grace period after the start is over, then every interval. */
export function probeDue(record: HealthRecord, check: HealthCheckSettings, now: number): boolean {
  if (now < record.startedAt + check.gracePeriodMs) return false;
  return record.lastProbeAt === null || now - record.lastProbeAt >= check.intervalMs;
}

/** The record after one probe: a pass ends a run of failures and the other way round. */
export function withProbe(record: HealthRecord, ok: boolean, detail: string, now: number): HealthRecord {
  return {
    startedAt: record.startedAt,
    passes: ok ? record.passes + 1 : 0,
    failures: ok ? 0 : record.failures + 1,
    lastProbeAt: now,
    lastDetail: detail,
  };
}

/** Enough consecutive passes: a starting replica may take traffic (and let an old one go). */
export function passedCheck(record: HealthRecord | undefined, check: HealthCheckSettings): boolean {
  return !!record && record.passes >= check.successThreshold;
}

/** Enough consecutive failures: the replica is unhealthy. */
export function failedCheck(record: HealthRecord | undefined, check: HealthCheckSettings): boolean {
  return !!record && record.failures >= check.failureThreshold;
}

export interface RolloutReplica {
  id: string;
  releaseId: string | null;
  state: ReplicaState;
  startedAt: Date | null;
  restarts: number;
  lastError: string | null;
}

export interface RolloutInput {
  /** The app's current release: the one being rolled out or watched. */
  release: {
    id: string;
    version: number;
    healthCheck: HealthCheckSettings | null;
    rolledOutAt: Date | null;
    failureReason: string | null;
  };
  /** The release was itself reached by an automatic rollback: it is not rolled back again. */
  reachedByRollback: boolean;
  /** Its rollback window when its check names none. */
  defaultWindowMs: number;
  /** How long after its start (and grace period) a replica of the release may take to pass. */
  deadlineMs: number;
  replicas: RolloutReplica[];
  records: ReadonlyMap<string, HealthRecord>;
  now: Date;
}

export type RolloutVerdict = { kind: 'keep' } | { kind: 'roll_back'; reason: string };

/**
 * Whether the current release is rolled back (pure). Only a release with a health check is judged, and only
 * while it rolls out or within its rollback window after that; never one reached by an automatic rollback
 * (a failure outside the app, e.g. its database, would otherwise walk the app back through its history).
 * It fails when one of its replicas fails its check `failureThreshold` times in a row (starting or running),
 * has not passed within the deadline after its start and grace period, or keeps exiting (crash loop).
 */
export function judgeRollout(input: RolloutInput): RolloutVerdict {
  const { release, now } = input;
  const check = release.healthCheck;
  if (!check || release.failureReason !== null || input.reachedByRollback) return { kind: 'keep' };
  const windowMs = check.rollbackWindowMs ?? input.defaultWindowMs;
  if (release.rolledOutAt && now.getTime() >= release.rolledOutAt.getTime() + windowMs)
    return { kind: 'keep' };
  for (const replica of input.replicas) {
    if (replica.releaseId !== release.id) continue;
    const name = `replica ${replica.id.slice(0, 8)} of v${release.version}`;
    const record = input.records.get(replica.id);
    if ((replica.state === 'starting' || replica.state === 'running') && failedCheck(record, check)) {
      return {
        kind: 'roll_back',
        reason: `${name} failed its health check ${record!.failures} times in a row: ${record!.lastDetail}`,
      };
    }
    if (
      replica.state === 'starting' &&
      replica.startedAt &&
      now.getTime() - replica.startedAt.getTime() > check.gracePeriodMs + input.deadlineMs
    ) {
      const last = record?.lastDetail ? `: ${record.lastDetail}` : '';
      return {
        kind: 'roll_back',
        reason: `${name} did not pass its health check within ${Math.round(input.deadlineMs / 1000)} s${last}`,
      };
    }
    if (replica.state === 'crashed' && replica.restarts >= CRASHLOOP_THRESHOLD) {
      return {
        kind: 'roll_back',
        reason: `${name} keeps exiting (${replica.restarts} restarts): ${replica.lastError ?? 'exited'}`,
      };
    }
  }
  return { kind: 'keep' };
}
