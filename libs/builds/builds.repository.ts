import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, Not, type EntityManager } from 'typeorm';
import type { ActiveBuildsReader } from '../apps/index.js';
import type { RetentionBuild } from './build-retention-plan.js';
import { Build, type BuildStatus } from './build.entity.js';
import { LOCK_CLASSES } from '../db/index.js';

export const LEASE_SECONDS = 30;

/**
 * A finished build retention may still have to act on: not expired, or holding an image. Builds it is
 * done with (expired, image gone or none) are left out of its ranking, so a pass sorts the builds apps
 * keep, not their whole history (libs/builds/README.md, "Retention": 4 s → 0.2 s for 200,000 builds).
 * They are older than the newest N (expiry goes oldest first; newer builds only push them further back),
 * so leaving them out expires no build among the newest N; at worst one is kept longer (a build that
 * finished long after it was queued, or a plan whose retention was raised).
 */
const RETAINED_BUILD = `b.status IN ('succeeded', 'failed', 'cancelled')
  AND (b.expired_at IS NULL OR (b.image IS NOT NULL AND b.image_removed_at IS NULL))`;
/** Advisory lock class of build claims (two-int form; never collides with the loops' one-bigint keys). */

/** What a new build row holds; the rest (status, lease, timings) is this repository's to write. */
export type QueuedBuild = Pick<
  Build,
  | 'appId'
  | 'tenantId'
  | 'sourceKey'
  | 'sourceSha256'
  | 'sourceBytes'
  | 'manifest'
  | 'timeoutSeconds'
  | 'memoryMb'
  | 'cpuMillis'
>;

/**
 * Every read and write of the `builds` row. The table is also the build queue: workers claim queued
 * builds with FOR UPDATE SKIP LOCKED, hold them under a lease they renew, and a build whose lease lapses
 * (its worker died) is failed, never stuck. A write that ends a run is guarded by the lease: a worker that
 * lost its build never overwrites what another outcome wrote.
 */
@Injectable()
export class BuildsRepository implements ActiveBuildsReader {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Queues a build in one step, in the caller's transaction. Uploads do not use it (they reserve a slot
   * first: reserveSlot, then queueReserved); the medium tier's queue tests do.
   */
  insertQueued(manager: EntityManager, build: QueuedBuild): Promise<Build> {
    return manager.save(manager.create(Build, { ...build, status: 'queued' }));
  }

  /**
   * Reserves one of the tenant's build slots before its upload is read, in the caller's transaction (the
   * one holding the tenant lock in which the slot count was checked). The reservation lapses after
   * `holdSeconds` (failAbandoned deletes it) when the process taking the upload dies.
   */
  async reserveSlot(
    manager: EntityManager,
    build: Pick<
      QueuedBuild,
      'appId' | 'tenantId' | 'sourceKey' | 'timeoutSeconds' | 'memoryMb' | 'cpuMillis'
    >,
    holdSeconds: number,
  ): Promise<string> {
    const [row]: { id: string }[] = await manager.query(
      `INSERT INTO builds (app_id, tenant_id, status, source_key, source_sha256, source_bytes, manifest,
                           timeout_seconds, memory_mb, cpu_millis, lease_expires_at)
       VALUES ($1, $2, 'receiving', $3, '', 0, '{}', $4, $5, $6, now() + ($7 || ' seconds')::interval)
       RETURNING id`,
      [
        build.appId,
        build.tenantId,
        build.sourceKey,
        build.timeoutSeconds,
        build.memoryMb,
        build.cpuMillis,
        String(holdSeconds),
      ],
    );
    return row!.id;
  }

  /** The reserved slot becomes a queued build; false when the reservation lapsed meanwhile. */
  async queueReserved(
    manager: EntityManager,
    id: string,
    source: Pick<QueuedBuild, 'sourceSha256' | 'sourceBytes' | 'manifest'>,
  ): Promise<boolean> {
    const [, count] = (await manager.query(
      `UPDATE builds SET status = 'queued', source_sha256 = $2, source_bytes = $3, manifest = $4,
              lease_expires_at = NULL
        WHERE id = $1 AND status = 'receiving'`,
      [id, source.sourceSha256, source.sourceBytes, JSON.stringify(source.manifest)],
    )) as [unknown, number];
    return count === 1;
  }

  /** Frees a reserved slot whose upload was refused (or replayed an earlier one). */
  async releaseSlot(id: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM builds WHERE id = $1 AND status = 'receiving'`, [id]);
  }

  byId(id: string, manager: EntityManager = this.dataSource.manager): Promise<Build> {
    return manager.findOneByOrFail(Build, { id });
  }

  /** The build when it belongs to the app, else null (a slot still receiving its upload is no build yet). */
  findOfApp(appId: string, buildId: string): Promise<Build | null> {
    return this.dataSource
      .getRepository(Build)
      .findOne({ where: { id: buildId, appId, status: Not('receiving') } });
  }

  /** The app's newest builds first. */
  listOfApp(appId: string, limit: number): Promise<Build[]> {
    return this.dataSource
      .getRepository(Build)
      .find({ where: { appId, status: Not('receiving') }, order: { createdAt: 'DESC' }, take: limit });
  }

  /**
   * Builds of the tenant that hold a slot: receiving their upload, queued or running (the concurrent-builds
   * quota counts all three).
   */
  async activeBuildsOf(tenantId: string, manager: EntityManager = this.dataSource.manager): Promise<number> {
    const [row]: { active: number }[] = await manager.query(
      `SELECT count(*)::int AS active FROM builds
        WHERE tenant_id = $1 AND status IN ('receiving', 'queued', 'running')`,
      [tenantId],
    );
    return row!.active;
  }

  /** Builds queued and running, every tenant (the operators' build queue gauge). */
  async countActive(): Promise<{ queued: number; running: number }> {
    const [row]: { queued: number; running: number }[] = await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued,
              count(*) FILTER (WHERE status = 'running')::int AS running
         FROM builds WHERE status IN ('queued', 'running')`,
    );
    return row!;
  }

  /**
   * Claims the next queued build, fair between tenants, among tenants under their plan's concurrent-build
   * limit: the tenant with the fewest running builds goes first, ties go to the tenant whose last build
   * started longest ago (round robin; a tenant that never built goes first), and within the tenant the
   * oldest build goes first. A tenant that queues many builds delays only itself: another tenant's
   * build is claimed at the next free worker slot. Claims run one
   * at a time across processes (a transaction-scoped advisory lock): two overlapping claims would each count
   * the tenant's running builds before the other's claim committed, and SKIP LOCKED hands the second one the
   * tenant's next build, over its limit (the medium tier's build-claims test caught it). A claim takes a
   * millisecond or two, so the queue never waits on it.
   */
  async claimNext(worker: string): Promise<Build | undefined> {
    // Most passes find nothing queued: one read then, not a transaction of four statements.
    const [queued] = (await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM builds WHERE status = 'queued') AS queued`,
    )) as { queued: boolean }[];
    if (!queued?.queued) return undefined;
    const rows = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, 0)', [LOCK_CLASSES.buildClaim]);
      const [claimed] = (await manager.query(
        `UPDATE builds SET status = 'running', lease_owner = $1, lease_expires_at = now() + ($2 || ' seconds')::interval,
              started_at = now(), attempts = attempts + 1
        WHERE id = (
          SELECT b.id FROM builds b
            JOIN tenants t ON t.id = b.tenant_id
            JOIN plans p ON p.id = t.plan_id
           CROSS JOIN LATERAL (
             SELECT count(*) FILTER (WHERE r.status = 'running') AS running, max(r.started_at) AS last_started
               FROM builds r WHERE r.tenant_id = b.tenant_id) AS share
           WHERE b.status = 'queued' AND share.running < p.concurrent_builds
           ORDER BY share.running, share.last_started NULLS FIRST, b.created_at
           FOR UPDATE OF b SKIP LOCKED
           LIMIT 1)
      RETURNING id`,
        [worker, String(LEASE_SECONDS)],
      )) as [{ id: string }[], number];
      return claimed;
    });
    if (rows.length === 0) return undefined;
    return this.byId(rows[0]!.id);
  }

  /** Extends the lease; false when the build is no longer ours (e.g. it was failed as stale). */
  async renewLease(buildId: string, worker: string): Promise<boolean> {
    const [, count] = (await this.dataSource.query(
      `UPDATE builds SET lease_expires_at = now() + ($3 || ' seconds')::interval
        WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
      [buildId, worker, String(LEASE_SECONDS)],
    )) as [unknown, number];
    return count === 1;
  }

  /** The host a running build was placed on. */
  async assignHost(buildId: string, hostId: string): Promise<void> {
    await this.dataSource.getRepository(Build).update(buildId, { hostId });
  }

  async isCancelRequested(buildId: string): Promise<boolean> {
    const [row] = await this.dataSource.query('SELECT cancel_requested FROM builds WHERE id = $1', [buildId]);
    return row?.cancel_requested === true;
  }

  /** Asks the worker running the build to stop it (it reads this with its lease renewal). */
  async requestCancel(buildId: string): Promise<void> {
    await this.dataSource.getRepository(Build).update(buildId, { cancelRequested: true });
  }

  /** Cancels a build no worker has claimed yet; false when one claimed it first. */
  async cancelQueued(buildId: string): Promise<boolean> {
    const [, count] = (await this.dataSource.query(
      `UPDATE builds SET status = 'cancelled', finished_at = now(), error = 'cancelled' WHERE id = $1 AND status = 'queued'`,
      [buildId],
    )) as [unknown, number];
    return count === 1;
  }

  /**
   * Running builds whose worker stopped renewing: failed with a reason the tenant can read. Slots reserved
   * for an upload that never finished (its process died) are freed.
   */
  async failAbandoned(): Promise<string[]> {
    await this.dataSource.query(`DELETE FROM builds WHERE status = 'receiving' AND lease_expires_at < now()`);
    const [rows] = (await this.dataSource.query(
      `UPDATE builds SET status = 'failed', finished_at = now(), lease_owner = NULL,
              error = 'the build worker stopped while this build ran; upload again to retry'
        WHERE status = 'running' AND lease_expires_at < now()
      RETURNING id`,
    )) as [{ id: string }[], number];
    return rows.map((r) => r.id);
  }

  /** Ends a run that did not succeed; false when the build is no longer this worker's. */
  async markFinished(
    buildId: string,
    worker: string,
    outcome: { status: 'failed' | 'cancelled'; error: string },
  ): Promise<boolean> {
    const [, count] = (await this.dataSource.query(
      `UPDATE builds SET status = $3, error = $4, finished_at = now(), lease_owner = NULL
        WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
      [buildId, worker, outcome.status, outcome.error.slice(0, 1000)],
    )) as [unknown, number];
    return count === 1;
  }

  /**
   * Records the built image in the caller's transaction (its release is made in the same one); false when
   * the build is no longer this worker's.
   */
  async markSucceeded(
    manager: EntityManager,
    buildId: string,
    worker: string,
    image: string,
  ): Promise<boolean> {
    const [, count] = (await manager.query(
      `UPDATE builds SET status = 'succeeded', image = $3, finished_at = now(), lease_owner = NULL
        WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
      [buildId, worker, image],
    )) as [unknown, number];
    return count === 1;
  }

  async linkRelease(manager: EntityManager, buildId: string, releaseId: string): Promise<void> {
    await manager.update(Build, buildId, { releaseId });
  }

  /** Every image the app's builds made (an app's deletion removes them from hosts and the registry). */
  async imagesOfApp(appId: string): Promise<string[]> {
    const rows: { image: string }[] = await this.dataSource.query(
      `SELECT DISTINCT image FROM builds WHERE app_id = $1 AND image IS NOT NULL`,
      [appId],
    );
    return rows.map((r) => r.image);
  }

  /** The blob keys of the app's uploaded sources. */
  async sourceKeysOfApp(appId: string): Promise<string[]> {
    const rows: { key: string }[] = await this.dataSource.query(
      `SELECT source_key AS key FROM builds WHERE app_id = $1`,
      [appId],
    );
    return rows.map((r) => r.key);
  }

  /** The app's build rows, in the caller's transaction (their log lines go first: BuildLogStore). */
  async deleteOfApp(manager: EntityManager, appId: string): Promise<void> {
    await manager.query(`DELETE FROM builds WHERE app_id = $1`, [appId]);
  }
  /**
   * Apps with retention work (build retention, libs/builds/build-retention.ts): among the finished builds
   * that still hold something (RETAINED_BUILD), one beyond the plan's `build_retention` newest that is not
   * expired yet, or whose image is still there although no kept release (the current one, or one of the
   * newest `build_retention` by version) references it. Apps being deleted are left to their deletion.
   */
  async appsDueForRetention(limit: number): Promise<{ appId: string; keep: number }[]> {
    const rows: { app_id: string; keep: number }[] = await this.dataSource.query(
      `WITH ranked AS (
         SELECT b.app_id, b.image, b.expired_at, b.image_removed_at,
                row_number() OVER (PARTITION BY b.app_id ORDER BY b.created_at DESC, b.id DESC) AS rank
           FROM builds b WHERE ${RETAINED_BUILD})
       SELECT r.app_id, min(p.build_retention)::int AS keep
         FROM ranked r
         JOIN apps a ON a.id = r.app_id AND a.deleting_at IS NULL
         JOIN tenants t ON t.id = a.tenant_id
         JOIN plans p ON p.id = t.plan_id
        WHERE r.rank > p.build_retention
          AND (r.expired_at IS NULL
               OR (r.image IS NOT NULL AND r.image_removed_at IS NULL
                   AND NOT EXISTS (
                     SELECT 1 FROM releases rl
                      WHERE rl.app_id = r.app_id AND rl.image = r.image
                        AND (rl.id = a.current_release_id
                             OR rl.version > (SELECT max(version) FROM releases m WHERE m.app_id = r.app_id)
                                             - p.build_retention))))
        GROUP BY r.app_id
        LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ appId: r.app_id, keep: r.keep }));
  }

  /**
   * The app's finished builds that still hold something (RETAINED_BUILD), newest first, at most `keep` +
   * `batch` of them, in the caller's transaction.
   */
  async retentionCandidates(
    manager: EntityManager,
    appId: string,
    keep: number,
    batch: number,
  ): Promise<RetentionBuild[]> {
    const rows: {
      id: string;
      status: BuildStatus;
      image: string | null;
      expired_at: Date | null;
      image_removed_at: Date | null;
    }[] = await manager.query(
      `SELECT id, status, image, expired_at, image_removed_at FROM builds b
        WHERE b.app_id = $1 AND ${RETAINED_BUILD}
        ORDER BY b.created_at DESC, b.id DESC
        LIMIT $2::int + $3::int`,
      [appId, keep, batch],
    );
    return rows.map((r) => ({
      id: r.id,
      status: r.status,
      image: r.image,
      expiredAt: r.expired_at,
      imageRemovedAt: r.image_removed_at,
    }));
  }

  /** Marks finished builds expired (their sources and log are deleted); already expired ones stay as they are. */
  async markExpired(buildIds: string[]): Promise<void> {
    if (buildIds.length === 0) return;
    await this.dataSource.query(
      `UPDATE builds SET expired_at = now()
        WHERE id = ANY($1::uuid[]) AND expired_at IS NULL AND status IN ('succeeded', 'failed', 'cancelled')`,
      [buildIds],
    );
  }

  /** Marks builds whose image retention deleted from every host and the registry. */
  async markImageRemoved(buildIds: string[]): Promise<void> {
    if (buildIds.length === 0) return;
    await this.dataSource.query(
      `UPDATE builds SET image_removed_at = now() WHERE id = ANY($1::uuid[]) AND image_removed_at IS NULL`,
      [buildIds],
    );
  }

  /** The blob keys of these builds' sources. */
  async sourceKeysOf(buildIds: string[]): Promise<string[]> {
    if (buildIds.length === 0) return [];
    const rows: { key: string }[] = await this.dataSource.query(
      `SELECT source_key AS key FROM builds WHERE id = ANY($1::uuid[])`,
      [buildIds],
    );
    return rows.map((r) => r.key);
  }
}
