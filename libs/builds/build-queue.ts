import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Build } from './build.entity.js';

export const LEASE_SECONDS = 30;

/**
 * The build queue is the `builds` table: workers claim queued builds with FOR UPDATE SKIP LOCKED, hold
 * them under a lease they renew, and a build whose lease lapses (its worker died) is failed, never stuck.
 */
@Injectable()
export class BuildQueue {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Claims the oldest queued build whose tenant is under its plan's concurrent-build limit. */
  async claim(worker: string): Promise<Build | undefined> {
    const [rows] = (await this.dataSource.query(
      `UPDATE builds SET status = 'running', lease_owner = $1, lease_expires_at = now() + ($2 || ' seconds')::interval,
              started_at = now(), attempts = attempts + 1
        WHERE id = (
          SELECT b.id FROM builds b
            JOIN tenants t ON t.id = b.tenant_id
            JOIN plans p ON p.id = t.plan_id
           WHERE b.status = 'queued'
             AND (SELECT count(*) FROM builds r WHERE r.tenant_id = b.tenant_id AND r.status = 'running') < p.concurrent_builds
           ORDER BY b.created_at
           FOR UPDATE OF b SKIP LOCKED
           LIMIT 1)
      RETURNING id`,
      [worker, String(LEASE_SECONDS)],
    )) as [{ id: string }[], number];
    if (rows.length === 0) return undefined;
    return this.dataSource.getRepository(Build).findOneByOrFail({ id: rows[0].id });
  }

  /** Extends the lease; false when the build is no longer ours (e.g. it was failed as stale). */
  async renew(buildId: string, worker: string): Promise<boolean> {
    const [, count] = (await this.dataSource.query(
      `UPDATE builds SET lease_expires_at = now() + ($3 || ' seconds')::interval
        WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
      [buildId, worker, String(LEASE_SECONDS)],
    )) as [unknown, number];
    return count === 1;
  }

  async cancelRequested(buildId: string): Promise<boolean> {
    const [row] = await this.dataSource.query('SELECT cancel_requested FROM builds WHERE id = $1', [buildId]);
    return row?.cancel_requested === true;
  }

  /** Running builds whose worker stopped renewing: failed with a reason the tenant can read. */
  async failAbandoned(): Promise<string[]> {
    const [rows] = (await this.dataSource.query(
      `UPDATE builds SET status = 'failed', finished_at = now(), lease_owner = NULL,
              error = 'the build worker stopped while this build ran; upload again to retry'
        WHERE status = 'running' AND lease_expires_at < now()
      RETURNING id`,
    )) as [{ id: string }[], number];
    return rows.map((r) => r.id);
  }

  async finish(
    buildId: string,
    worker: string,
    outcome: { status: 'succeeded' | 'failed' | 'cancelled'; error?: string; image?: string },
  ): Promise<boolean> {
    const [, count] = (await this.dataSource.query(
      `UPDATE builds SET status = $3, error = $4, image = coalesce($5, image), finished_at = now(), lease_owner = NULL
        WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
      [buildId, worker, outcome.status, outcome.error?.slice(0, 1000) ?? null, outcome.image ?? null],
    )) as [unknown, number];
    return count === 1;
  }
}
