import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Why the container ran: a tenant's one-off command, or a release's release-phase command. */
export type RunPurpose = 'run' | 'release';
/**
 * starting → running → succeeded (exit 0) | failed (non-zero exit or OOM) | timed_out (killed at its
 * time limit) | stopped (DELETE); `error` when its container could not be started at all.
 */
export type RunState = 'starting' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'stopped' | 'error';
export const ACTIVE_RUN_STATES: readonly RunState[] = ['starting', 'running'];

/**
 * One container run once of a release's image and env (`berth run`, the release phase). It counts toward
 * the tenant's memory and containers while active, and is metered (kind `run`) from started_at to
 * finished_at. Rows outlive the app: they are usage history, as replica runs are.
 */
@Entity('one_off_runs')
@Index(['appId', 'createdAt'])
@Index(['tenantId', 'state'])
@Index(['startedAt'])
@Index(['finishedAt'])
export class OneOffRun {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'app_id', type: 'uuid' })
  appId: string;

  @Column({ name: 'release_id', type: 'uuid' })
  releaseId: string;

  @Column({ name: 'release_version', type: 'integer' })
  releaseVersion: number;

  @Column({ type: 'varchar', length: 8 })
  purpose: RunPurpose;

  /** The argv it runs (a string command is stored as `sh -c <command>`). */
  @Column({ type: 'jsonb' })
  command: string[];

  @Column({ type: 'varchar', length: 16 })
  state: RunState;

  @Column({ name: 'exit_code', type: 'integer', nullable: true })
  exitCode: number | null;

  @Column({ name: 'oom_killed', type: 'boolean', default: false })
  oomKilled: boolean;

  /** Killed after this long (the request's bound, at most the platform's). */
  @Column({ name: 'timeout_seconds', type: 'integer' })
  timeoutSeconds: number;

  @Column({ name: 'host_id', type: 'uuid', nullable: true })
  hostId: string | null;

  @Column({ name: 'container_id', type: 'varchar', length: 80, nullable: true })
  containerId: string | null;

  @Column({ name: 'memory_mb', type: 'integer' })
  memoryMb: number;

  @Column({ name: 'cpu_millis', type: 'integer' })
  cpuMillis: number;

  /** The tenant's plan when it was started (what it is metered at). */
  @Column({ name: 'plan_id', type: 'varchar', length: 40 })
  planId: string;

  /** Why it ended the way it did, in words (`exited with code 3`, `killed after 5 s (time limit)`). */
  @Column({ type: 'varchar', length: 500, nullable: true })
  reason: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 80 })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Docker's StartedAt. */
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  /** Docker's FinishedAt (or when it was given up). */
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  /**
   * When retention deleted its output (beyond the plan's `runRetention` newest finished runs of the app):
   * the row stays (usage history), reading its output answers 410 run_expired.
   */
  @Column({ name: 'expired_at', type: 'timestamptz', nullable: true })
  expiredAt: Date | null;
}
