import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { In, MoreThan, type DataSource } from 'typeorm';
import type { ReplicaBucket } from './metric-series.js';
import { ReplicaSample } from './replica-sample.entity.js';
import type { PreviousReading, SampleValues } from './sample-deltas.js';

/** Rows a retention batch deletes at most: short statements that never hold the table for long. */
export const RETENTION_BATCH = 5000;

/** The only holder of replica_samples' SQL. */
@Injectable()
export class ReplicaSamplesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(samples: SampleValues[]): Promise<void> {
    if (samples.length === 0) return;
    await this.dataSource.getRepository(ReplicaSample).insert(samples);
  }

  /** The newest sample of each of these replicas: the baseline of their next difference. */
  async latestOf(replicaIds: string[]): Promise<Map<string, PreviousReading>> {
    if (replicaIds.length === 0) return new Map();
    const rows: (PreviousReading & { replicaId: string })[] = await this.dataSource.query(
      // One index probe per replica (replica_id, sampled_at DESC), not a scan of each replica's day of rows.
      `SELECT r.id AS "replicaId", s.container_id AS "containerId", s.sampled_at AS "sampledAt",
              s.cpu_nanos_total::float8 AS "cpuNanosTotal", s.network_rx_total::float8 AS "networkRxTotal",
              s.network_tx_total::float8 AS "networkTxTotal", s.block_read_total::float8 AS "blockReadTotal",
              s.block_write_total::float8 AS "blockWriteTotal", s.restarts_total AS "restartsTotal"
         FROM unnest($1::uuid[]) AS r(id)
         CROSS JOIN LATERAL (
           SELECT * FROM replica_samples WHERE replica_id = r.id ORDER BY sampled_at DESC LIMIT 1
         ) s`,
      [replicaIds],
    );
    return new Map(rows.map(({ replicaId, ...reading }) => [replicaId, reading]));
  }

  /** The highest sample id so far (0 when none): where a live follower starts. */
  async lastId(): Promise<string> {
    const [row]: { id: string }[] = await this.dataSource.query(
      `SELECT coalesce(max(id), 0)::text AS id FROM replica_samples`,
    );
    return row!.id;
  }

  /** Samples of these apps written after `afterId`, oldest first, at most `limit`. */
  newerOfApps(appIds: string[], afterId: string, limit: number): Promise<ReplicaSample[]> {
    return this.dataSource.getRepository(ReplicaSample).find({
      where: { appId: In(appIds), id: MoreThan(afterId) },
      order: { id: 'ASC' },
      take: limit,
    });
  }

  /** Deletes one batch of samples taken before `cutoff`; returns how many went. */
  async deleteBatchBefore(cutoff: Date): Promise<number> {
    const [, affected]: [unknown, number] = await this.dataSource.query(
      `DELETE FROM replica_samples WHERE id IN (
         SELECT id FROM replica_samples WHERE sampled_at < $1 ORDER BY sampled_at LIMIT ${RETENTION_BATCH})`,
      [cutoff],
    );
    return affected;
  }

  /**
   * The app's samples in [from, to) cut into epoch-aligned buckets of `stepSeconds`, one row per bucket
   * and replica: CPU averaged, memory and pids at their maximum, bytes, restarts and OOM kills summed.
   */
  async bucketsOfApp(query: {
    appId: string;
    from: Date;
    to: Date;
    stepSeconds: number;
    replicaId?: string;
  }): Promise<ReplicaBucket[]> {
    const params: unknown[] = [query.appId, query.from, query.to, query.stepSeconds];
    if (query.replicaId) params.push(query.replicaId);
    const rows: (Omit<ReplicaBucket, 'bucketStart'> & { bucketStart: Date | string })[] =
      await this.dataSource.query(
        `SELECT to_timestamp(floor(extract(epoch FROM sampled_at) / $4) * $4) AS "bucketStart",
                replica_id AS "replicaId", max(role) AS role, count(*)::int AS samples,
                avg(cpu_millicores) AS "cpuMillicores", max(cpu_limit_millicores)::int AS "cpuLimitMillicores",
                max(memory_bytes)::float8 AS "memoryBytes", max(memory_limit_bytes)::float8 AS "memoryLimitBytes",
                coalesce(sum(network_rx_bytes), 0)::float8 AS "networkRxBytes",
                coalesce(sum(network_tx_bytes), 0)::float8 AS "networkTxBytes",
                coalesce(sum(block_read_bytes), 0)::float8 AS "blockReadBytes",
                coalesce(sum(block_write_bytes), 0)::float8 AS "blockWriteBytes",
                max(pids)::int AS pids, sum(restarts)::int AS restarts, sum(oom_kills)::int AS "oomKills"
           FROM replica_samples
          WHERE app_id = $1 AND sampled_at >= $2 AND sampled_at < $3
                ${query.replicaId ? 'AND replica_id = $5' : ''}
          GROUP BY 1, 2
          ORDER BY 1, 2`,
        params,
      );
    return rows.map((row) => ({ ...row, bucketStart: new Date(row.bucketStart) }));
  }
}
