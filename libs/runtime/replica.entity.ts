import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type ReplicaRole = 'web' | 'lb';
/**
 * pending: placed, container not created yet · starting: created and started, not accepting connections
 * yet · running: accepts connections · crashed: exited, waiting for its backoff · stopping: being removed ·
 * gone: removed (kept for history and usage).
 */
export type ReplicaState = 'pending' | 'starting' | 'running' | 'crashed' | 'stopping' | 'gone';

/** One container of an app (a web replica or its load balancer), as the reconciler knows it. */
@Entity('replicas')
@Index(['appId', 'state'])
export class Replica {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'app_id', type: 'uuid' })
  appId: string;

  @Index()
  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'release_id', type: 'uuid', nullable: true })
  releaseId: string | null;

  @Column({ name: 'host_id', type: 'uuid' })
  hostId: string;

  @Column({ type: 'varchar', length: 8, default: 'web' })
  role: ReplicaRole;

  /** Docker's container id, once created. */
  @Index()
  @Column({ name: 'container_id', type: 'varchar', length: 80, nullable: true })
  containerId: string | null;

  @Column({ name: 'container_name', type: 'varchar', length: 120 })
  containerName: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  state: ReplicaState;

  @Column({ name: 'host_port', type: 'integer', nullable: true })
  hostPort: number | null;

  @Column({ name: 'memory_mb', type: 'integer' })
  memoryMb: number;

  @Column({ name: 'cpu_millis', type: 'integer' })
  cpuMillis: number;

  @Column({ type: 'integer', default: 0 })
  restarts: number;

  @Column({ name: 'exit_code', type: 'integer', nullable: true })
  exitCode: number | null;

  @Column({ name: 'oom_killed', type: 'boolean', default: false })
  oomKilled: boolean;

  @Column({ name: 'next_restart_at', type: 'timestamptz', nullable: true })
  nextRestartAt: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  /** When the container last started and stopped running: the source of usage records. */
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'stopped_at', type: 'timestamptz', nullable: true })
  stoppedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
