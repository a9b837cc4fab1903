import { Injectable } from '@nestjs/common';
import pLimit from 'p-limit';
import { type HealthCheckSettings, ReleasesService } from '../apps/index.js';
import type { Host } from '../hosts/index.js';
import { probeHttp } from './health-probe.js';
import { type HealthRecord, freshRecord, passedCheck, probeDue, withProbe } from './health-verdict.js';
import { targetAccepts, type ReadinessTarget } from './readiness.js';
import { WEB_ROLE, type ReplicaRole } from './replica-role.js';
import type { Replica } from './replica.entity.js';

/** Running replicas probed at once in one app's pass (as many as the pass observes at once). */
const PROBE_CONCURRENCY = 16;
/** Records of replicas not probed for this long (gone, or on a host that went away) are dropped. */
const RECORD_IDLE_MS = 15 * 60_000;

/**
 * The health of web replicas as the reconciler sees it: each replica's consecutive probe results since its
 * container last started, kept in this process (the reconcile loop runs in one process at a time; a process
 * that takes the loop over starts counting afresh, which at worst delays a verdict by a few probes).
 * A replica whose release has no health check is judged as before: it is ready once its port accepts
 * connections, and a running one is not probed.
 */
@Injectable()
export class ReplicaHealth {
  private readonly records = new Map<string, HealthRecord>();
  /** Each release's check, by release id: a release's check never changes, so it is read once. */
  private readonly checks = new Map<string, HealthCheckSettings | null>();
  private lastPruneAt = 0;

  constructor(private readonly releases: ReleasesService) {}

  /** WEB_ROLE whose readiness is the replica's release's health check. */
  readonly webRole: ReplicaRole = {
    ...WEB_ROLE,
    isReady: (target, replica) => this.isReady(target, replica),
  };

  /** The consecutive results of every replica probed so far, by replica id. */
  get recordsById(): ReadonlyMap<string, HealthRecord> {
    return this.records;
  }

  /** The check of each of these releases (null: none), read once per release. */
  async checksOf(releaseIds: (string | null)[]): Promise<Map<string, HealthCheckSettings | null>> {
    const missing = [...new Set(releaseIds)].filter(
      (id): id is string => id !== null && !this.checks.has(id),
    );
    if (missing.length > 0) {
      const found = new Map((await this.releases.byIds(missing)).map((r) => [r.id, r.healthCheck]));
      // A release deleted with its app has no check to read again.
      for (const id of missing) this.checks.set(id, found.get(id) ?? null);
    }
    return new Map(
      releaseIds.filter((id): id is string => id !== null).map((id) => [id, this.checks.get(id) ?? null]),
    );
  }

  /**
   * A starting replica is ready once it passed its check `successThreshold` times in a row (probed no
   * sooner than its grace period and then every interval, on its published port); without a check, once
   * it accepts connections (targetAccepts).
   */
  async isReady(target: ReadinessTarget, replica?: Replica): Promise<boolean> {
    const check = replica?.releaseId
      ? (await this.checksOf([replica.releaseId])).get(replica.releaseId)
      : null;
    if (!replica || !check) return targetAccepts(target);
    const { address, port } = target.published;
    const record = await this.probeIfDue(replica, address, port, check, Date.now());
    return passedCheck(record, check);
  }

  /** Probes the running replicas (with a check) whose probe is due; starting ones are probed by isReady. */
  async probeRunning(replicas: Replica[], hostById: Map<string, Host>, now = Date.now()): Promise<void> {
    const checks = await this.checksOf(replicas.map((r) => r.releaseId));
    const limit = pLimit(PROBE_CONCURRENCY);
    await Promise.all(
      replicas.map((replica) => {
        const check = replica.releaseId ? checks.get(replica.releaseId) : null;
        const host = hostById.get(replica.hostId);
        if (replica.state !== 'running' || !check || !host || host.status === 'down' || !replica.hostPort)
          return undefined;
        return limit(() => this.probeIfDue(replica, host.publicAddress, replica.hostPort!, check, now));
      }),
    );
    this.prune(now);
  }

  /** When the next probe of these replicas is due (null: none of them is probed), for a settled app. */
  nextProbeAt(replicas: Replica[], now = Date.now()): Date | null {
    let next: number | null = null;
    for (const replica of replicas) {
      const check = replica.releaseId ? this.checks.get(replica.releaseId) : null;
      if (!check || replica.state !== 'running') continue;
      const last = this.records.get(replica.id)?.lastProbeAt;
      // Overdue (its host is down, or this pass did not probe it): an interval from now, never a busy loop.
      const due =
        last !== undefined && last !== null && last + check.intervalMs > now
          ? last + check.intervalMs
          : now + check.intervalMs;
      next = next === null ? due : Math.min(next, due);
    }
    return next === null ? null : new Date(next);
  }

  /** The replica's container stopped for good or was restarted by Berth: its results start over. */
  forget(replicaId: string): void {
    this.records.delete(replicaId);
  }

  private async probeIfDue(
    replica: Replica,
    address: string,
    hostPort: number,
    check: HealthCheckSettings,
    now: number,
  ): Promise<HealthRecord> {
    const startedAt = replica.startedAt?.getTime() ?? now;
    let record = this.records.get(replica.id);
    if (!record || record.startedAt !== startedAt) record = freshRecord(startedAt);
    if (probeDue(record, check, now)) {
      const result = await probeHttp(address, hostPort, check);
      record = withProbe(record, result.ok, result.detail, now);
    }
    this.records.set(replica.id, record);
    return record;
  }

  private prune(now: number): void {
    if (now - this.lastPruneAt < 60_000) return;
    this.lastPruneAt = now;
    for (const [id, record] of this.records)
      if (now - (record.lastProbeAt ?? record.startedAt) > RECORD_IDLE_MS) this.records.delete(id);
  }
}
