import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export interface BuildManifest {
  hasLockfile?: boolean;
  start?: { kind: 'script' } | { kind: 'main'; main: string };
  enginesNode?: string;
  /** Whether package.json has scripts["berth:release"]: releases of this build run it first (release phase). */
  releaseScript?: boolean;
  format?: string;
  entries?: number;
  expandedBytes?: number;
}

/**
 * `receiving`: a build slot reserved while the upload is spooled and checked (never shown by the API; the
 * row becomes `queued`, or is deleted when the upload is refused).
 */
export type BuildStatus = 'receiving' | 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** One image build of an uploaded source archive; also a job in the PostgreSQL build queue. */
@Entity('builds')
@Index(['status', 'createdAt'])
export class Build {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ name: 'app_id', type: 'uuid' })
  appId: string;

  @Index()
  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'varchar', length: 16, default: 'queued' })
  status: BuildStatus;

  /** Key of the normalized source archive in the blob store. */
  @Column({ name: 'source_key', type: 'varchar', length: 200 })
  sourceKey: string;

  @Column({ name: 'source_sha256', type: 'varchar', length: 64 })
  sourceSha256: string;

  @Column({ name: 'source_bytes', type: 'bigint' })
  sourceBytes: string;

  @Column({ type: 'varchar', length: 300, nullable: true })
  image: string | null;

  /** What intake learned from package.json, for the generated Dockerfile. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  manifest: BuildManifest;

  @Column({ name: 'host_id', type: 'uuid', nullable: true })
  hostId: string | null;

  @Column({ name: 'timeout_seconds', type: 'integer' })
  timeoutSeconds: number;

  @Column({ name: 'memory_mb', type: 'integer' })
  memoryMb: number;

  @Column({ name: 'cpu_millis', type: 'integer' })
  cpuMillis: number;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  error: string | null;

  @Column({ name: 'cancel_requested', type: 'boolean', default: false })
  cancelRequested: boolean;

  /** Worker holding the job and until when; a lease that lapses means the worker died. */
  @Column({ name: 'lease_owner', type: 'varchar', length: 80, nullable: true })
  leaseOwner: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true })
  leaseExpiresAt: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'release_id', type: 'uuid', nullable: true })
  releaseId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;

  /** When retention deleted its sources and log (the row stays, for the history); NULL while kept. */
  @Column({ name: 'expired_at', type: 'timestamptz', nullable: true })
  expiredAt: Date | null;

  /** When retention deleted its image from the hosts and the registry (no kept release ran it any more). */
  @Column({ name: 'image_removed_at', type: 'timestamptz', nullable: true })
  imageRemovedAt: Date | null;
}
