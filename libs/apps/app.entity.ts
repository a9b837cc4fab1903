import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { HealthCheckSettings } from './health-check.js';

export type DesiredState = 'running' | 'stopped';
export type AppPhase = 'converging' | 'running' | 'sleeping' | 'stopped' | 'crashloop' | 'failed';

/** The app's last automatic rollback: why, and from which release version to which. */
export interface AutomaticRollback {
  reason: string;
  fromVersion: number;
  toVersion: number;
  at: string;
}

export interface LoadBalancerSettings {
  algorithm: 'roundrobin' | 'leastconn';
  healthCheckPath: string;
  healthCheckIntervalMs: number;
}

/** A tenant's application: what should run (desired state), and the release it should run. */
@Entity('apps')
@Index(['tenantId', 'name'], { unique: true })
export class App {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** DNS-safe, unique per tenant. */
  @Column({ type: 'varchar', length: 40 })
  name: string;

  @Column({ name: 'desired_state', type: 'varchar', length: 16, default: 'stopped' })
  desiredState: DesiredState;

  @Column({ type: 'integer', default: 1 })
  replicas: number;

  @Column({ name: 'current_release_id', type: 'uuid', nullable: true })
  currentReleaseId: string | null;

  /** The app's env vars as one sealed JSON object (AES-GCM, app id as context); never stored in clear. */
  @Column({ name: 'env_sealed', type: 'text', nullable: true })
  envSealed: string | null;

  /** Null when the app has no load balancer. */
  @Column({ name: 'load_balancer', type: 'jsonb', nullable: true })
  loadBalancer: LoadBalancerSettings | null;

  /** The health check its next release gets; null: a replica is ready once its port accepts connections. */
  @Column({ name: 'health_check', type: 'jsonb', nullable: true })
  healthCheck: HealthCheckSettings | null;

  /** Written by the reconciler when it rolled a failing release back (shown while that rollback is current). */
  @Column({ name: 'last_auto_rollback', type: 'jsonb', nullable: true })
  lastAutoRollback: AutomaticRollback | null;

  /** Bumped by every change of what should run; the reconciler reports convergence against it. */
  @Column({ type: 'integer', default: 0 })
  generation: number;

  /** The generation the reconciler last brought to convergence (or gave up on, with a reason). */
  @Column({ name: 'observed_generation', type: 'integer', default: 0 })
  observedGeneration: number;

  /** What the reconciler reports: converging, running, stopped, crashloop, failed. */
  @Column({ type: 'varchar', length: 16, default: 'stopped' })
  phase: AppPhase;

  @Column({ name: 'status_reason', type: 'varchar', length: 500, nullable: true })
  statusReason: string | null;

  /** Replicas created before this instant are replaced, one at a time (POST /restart). */
  @Column({ name: 'restart_requested_at', type: 'timestamptz', nullable: true })
  restartRequestedAt: Date | null;

  /**
   * The release phase's command set through the API (argv); it wins over package.json's
   * scripts["berth:release"]. Each new release records the command it runs (libs/runs, docs/runs.md).
   */
  @Column({ name: 'release_command', type: 'jsonb', nullable: true })
  releaseCommand: string[] | null;

  /** Set when deletion was asked; the reconciler removes containers, network use and images, then the row. */
  /** Scale to zero: seconds without a request after which the app sleeps (null: never; plan permitting). */
  @Column({ name: 'sleep_after_idle_seconds', type: 'integer', nullable: true })
  sleepAfterIdleSeconds: number | null;

  /** Set while the app sleeps: no replica runs, and the edge router sends its requests to the waker. */
  @Column({ name: 'sleeping_since', type: 'timestamptz', nullable: true })
  sleepingSince: Date | null;

  /** When the edge router last counted a request for the app (its access lines, a few seconds late). */
  @Column({ name: 'last_request_at', type: 'timestamptz', nullable: true })
  lastRequestAt: Date | null;

  @Column({ name: 'deleting_at', type: 'timestamptz', nullable: true })
  deletingAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
