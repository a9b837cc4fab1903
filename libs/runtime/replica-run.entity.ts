import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ReplicaRole } from './replica.entity.js';

/**
 * One uninterrupted run of a replica's container, from Docker's StartedAt to its FinishedAt (null while it
 * runs). A replica restarted after a crash has several runs. Usage metering reads only these.
 */
@Entity('replica_runs')
@Index(['startedAt'])
@Index(['stoppedAt'])
export class ReplicaRun {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ name: 'replica_id', type: 'uuid' })
  replicaId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'app_id', type: 'uuid' })
  appId: string;

  @Column({ type: 'varchar', length: 8 })
  role: ReplicaRole;

  @Column({ name: 'container_id', type: 'varchar', length: 80 })
  containerId: string;

  @Column({ name: 'memory_mb', type: 'integer' })
  memoryMb: number;

  @Column({ name: 'cpu_millis', type: 'integer' })
  cpuMillis: number;

  @Column({ name: 'plan_id', type: 'varchar', length: 40 })
  planId: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'stopped_at', type: 'timestamptz', nullable: true })
  stoppedAt: Date | null;
}
