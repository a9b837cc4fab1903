import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { HealthCheckSettings } from './health-check.js';

/**
 * The release phase of a release with a command: `pending` until the reconciler starts it, `running`,
 * then `succeeded` (its replicas may start) or `failed` (they never do; the previous release keeps serving).
 */
export type ReleasePhase = 'pending' | 'running' | 'succeeded' | 'failed';

/**
 * Release vN of an app: everything needed to run it again exactly (rollback copies these fields into a
 * new release): the image, the sealed env snapshot, the container size and the replica count.
 */
@Entity('releases')
@Index(['appId', 'version'], { unique: true })
export class Release {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'app_id', type: 'uuid' })
  appId: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'integer' })
  version: number;

  @Column({ name: 'build_id', type: 'uuid', nullable: true })
  buildId: string | null;

  /** Image reference (`berth/<tenant>/<app>:<build>`), present on the build host and loaded elsewhere on demand. */
  @Column({ type: 'varchar', length: 300, nullable: true })
  image: string | null;

  /**
   * The manifest digest ("sha256:…") the registry stored when the image was pushed. Hosts pull exactly
   * this manifest, so an image pushed later under the same tag never runs. NULL when there was no
   * registry (or the push failed): hosts then copy the image from a host that has it, by name.
   */
  @Column({ name: 'image_digest', type: 'varchar', length: 80, nullable: true })
  imageDigest: string | null;

  /**
   * When build retention deleted this release's image (it was neither current nor among the app's newest
   * releases): it can no longer be rolled back to (410 release_expired).
   */
  @Column({ name: 'image_removed_at', type: 'timestamptz', nullable: true })
  imageRemovedAt: Date | null;

  @Column({ name: 'env_sealed', type: 'text', nullable: true })
  envSealed: string | null;

  @Column({ name: 'memory_mb', type: 'integer' })
  memoryMb: number;

  @Column({ name: 'cpu_millis', type: 'integer' })
  cpuMillis: number;

  @Column({ type: 'integer' })
  replicas: number;

  /** The health check this release is rolled out and watched with; null: TCP readiness only. */
  @Column({ name: 'health_check', type: 'jsonb', nullable: true })
  healthCheck: HealthCheckSettings | null;

  /** When its rollout first completed (every wanted replica ready); the rollback window counts from here. */
  @Column({ name: 'rolled_out_at', type: 'timestamptz', nullable: true })
  rolledOutAt: Date | null;

  /** Set when its replicas failed their check and it was rolled back: never an automatic rollback's target. */
  @Column({ name: 'failure_reason', type: 'varchar', length: 500, nullable: true })
  failureReason: string | null;

  /** Why it exists: `build <id>`, `env change`, `rollback to v3`. */
  @Column({ type: 'varchar', length: 200 })
  description: string;

  @Column({ name: 'created_by', type: 'varchar', length: 80 })
  createdBy: string;

  /** The command run once before any replica of this release starts (argv), or null: none. */
  @Column({ name: 'release_command', type: 'jsonb', nullable: true })
  releaseCommand: string[] | null;

  /** Null when there is no release command. */
  @Column({ name: 'release_phase', type: 'varchar', length: 12, nullable: true })
  releasePhase: ReleasePhase | null;

  /** The one-off run (purpose `release`) that ran the command: its output and exit code. */
  @Column({ name: 'release_run_id', type: 'uuid', nullable: true })
  releaseRunId: string | null;

  /** Why the release phase failed (shown on the app's status). */
  @Column({ name: 'release_phase_reason', type: 'varchar', length: 500, nullable: true })
  releasePhaseReason: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
