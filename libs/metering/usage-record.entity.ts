import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { UsageKind } from './usage-windows.js';

/**
 * What one replica (or build) used in one fixed window, cut from `replica_runs` / `builds` by the meter.
 * Immutable once written. Unique per (subject, window), so a rerun or a second meter never counts twice.
 * `id` grows with every insert and is the billing API's cursor (see usage.service.ts for why that is safe).
 */
@Entity('usage_records')
@Unique(['subjectId', 'windowStart'])
@Index(['tenantId', 'id'])
@Index(['tenantId', 'windowStart'])
@Index(['windowStart'])
export class UsageRecord {
  /** bigint: TypeORM hands it over as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'app_id', type: 'uuid', nullable: true })
  appId: string | null;

  /** Replica id for kinds web and lb, build id for kind build, app id for kind egress, one-off run id for kind run. */
  @Column({ name: 'subject_id', type: 'uuid' })
  subjectId: string;

  @Column({ type: 'varchar', length: 8 })
  kind: UsageKind;

  @Column({ name: 'window_start', type: 'timestamptz' })
  windowStart: Date;

  @Column({ name: 'window_end', type: 'timestamptz' })
  windowEnd: Date;

  /** Exact decimal seconds (millisecond precision), as a string. */
  @Column({ type: 'numeric', precision: 12, scale: 3 })
  seconds: string;

  @Column({ name: 'memory_mb', type: 'integer' })
  memoryMb: number;

  @Column({ name: 'cpu_millis', type: 'integer' })
  cpuMillis: number;

  /** The tenant's plan when the container ran (for builds: when the window was metered). */
  @Column({ name: 'plan_id', type: 'varchar', length: 40, nullable: true })
  planId: string | null;

  /** Kind egress: bytes the edge router received from clients for the app (headers included); else 0. */
  @Column({ name: 'bytes_in', type: 'bigint', default: 0 })
  bytesIn: string;

  /** Kind egress: bytes the edge router sent to clients from the app (headers included); else 0. */
  @Column({ name: 'bytes_out', type: 'bigint', default: 0 })
  bytesOut: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
