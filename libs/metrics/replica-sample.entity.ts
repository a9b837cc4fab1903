import { Column, Entity, Index, PrimaryGeneratedColumn, type ValueTransformer } from 'typeorm';

/** bigint columns come back from pg as text; byte counts stay far below 2^53. */
const bigintNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

/**
 * One resource sample of one replica's container (web or balancer), taken by the metrics sampler every
 * BERTH_METRICS_INTERVAL_MS and kept BERTH_METRICS_RETENTION_HOURS. The interval columns are the
 * difference from the previous sample of the same run (or from the run's start); they are null when
 * neither is known. The `*_total` columns are the engine's cumulative counters, kept only so the next
 * sample (in whichever process leads the loop then) can take its difference.
 */
@Entity('replica_samples')
@Index(['appId', 'sampledAt'])
@Index(['replicaId', 'sampledAt'])
@Index(['sampledAt'])
export class ReplicaSample {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ name: 'replica_id', type: 'uuid' })
  replicaId: string;

  @Column({ name: 'app_id', type: 'uuid' })
  appId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'varchar', length: 8 })
  role: string;

  @Column({ name: 'container_id', type: 'varchar', length: 80 })
  containerId: string;

  /** When the engine read the counters. */
  @Column({ name: 'sampled_at', type: 'timestamptz' })
  sampledAt: Date;

  /** Length of the interval the deltas cover. */
  @Column({ name: 'interval_ms', type: 'integer', nullable: true })
  intervalMs: number | null;

  @Column({ name: 'cpu_millicores', type: 'double precision', nullable: true })
  cpuMillicores: number | null;

  @Column({ name: 'cpu_limit_millicores', type: 'integer' })
  cpuLimitMillicores: number;

  @Column({ name: 'memory_bytes', type: 'bigint', transformer: bigintNumber })
  memoryBytes: number;

  @Column({ name: 'memory_limit_bytes', type: 'bigint', transformer: bigintNumber })
  memoryLimitBytes: number;

  @Column({ name: 'network_rx_bytes', type: 'bigint', nullable: true, transformer: bigintNumber })
  networkRxBytes: number | null;

  @Column({ name: 'network_tx_bytes', type: 'bigint', nullable: true, transformer: bigintNumber })
  networkTxBytes: number | null;

  @Column({ name: 'block_read_bytes', type: 'bigint', nullable: true, transformer: bigintNumber })
  blockReadBytes: number | null;

  @Column({ name: 'block_write_bytes', type: 'bigint', nullable: true, transformer: bigintNumber })
  blockWriteBytes: number | null;

  @Column({ type: 'integer' })
  pids: number;

  /** Restarts of the replica in the interval (from the runtime's count). */
  @Column({ type: 'integer', default: 0 })
  restarts: number;

  /** Of those restarts, the ones after an OOM kill (the runtime keeps the reason of the last exit only). */
  @Column({ name: 'oom_kills', type: 'integer', default: 0 })
  oomKills: number;

  @Column({ name: 'cpu_nanos_total', type: 'bigint', transformer: bigintNumber })
  cpuNanosTotal: number;

  @Column({ name: 'network_rx_total', type: 'bigint', transformer: bigintNumber })
  networkRxTotal: number;

  @Column({ name: 'network_tx_total', type: 'bigint', transformer: bigintNumber })
  networkTxTotal: number;

  @Column({ name: 'block_read_total', type: 'bigint', transformer: bigintNumber })
  blockReadTotal: number;

  @Column({ name: 'block_write_total', type: 'bigint', transformer: bigintNumber })
  blockWriteTotal: number;

  @Column({ name: 'restarts_total', type: 'integer' })
  restartsTotal: number;
}
