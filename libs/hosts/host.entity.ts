import type { NetworkPolicyState } from './host-guard-spec.js';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type HostStatus = 'ready' | 'cordoned' | 'draining' | 'down';

/** A Docker Engine in the pool. TLS material is sealed (AES-GCM) with the host id as context. */
@Entity('hosts')
export class Host {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index({ unique: true })
  @Column({ type: 'varchar', length: 80 })
  name: string;

  /** `unix:///var/run/docker.sock` or `tcp://10.0.0.5:2376`. */
  @Column({ type: 'varchar', length: 300 })
  endpoint: string;

  @Column({ name: 'tls_sealed', type: 'text', nullable: true })
  tlsSealed: string | null;

  @Column({ type: 'varchar', length: 16, default: 'ready' })
  status: HostStatus;

  /** The status an operator chose (ready, cordoned, draining); `down` is the monitor's verdict on top of it. */
  @Column({ name: 'admin_status', type: 'varchar', length: 16, default: 'ready' })
  adminStatus: HostStatus;

  /** Address on which replicas' published ports are reached (127.0.0.1 for local engines). */
  @Column({ name: 'public_address', type: 'varchar', length: 100, default: '127.0.0.1' })
  publicAddress: string;

  @Column({ name: 'engine_version', type: 'varchar', length: 40, nullable: true })
  engineVersion: string | null;

  @Column({ type: 'integer', default: 0 })
  cpus: number;

  /** Memory available to tenant containers, MB. */
  @Column({ name: 'memory_mb', type: 'integer', default: 0 })
  memoryMb: number;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  labels: Record<string, string>;

  @Column({ name: 'consecutive_failures', type: 'integer', default: 0 })
  consecutiveFailures: number;

  @Column({ name: 'last_heartbeat_at', type: 'timestamptz', nullable: true })
  lastHeartbeatAt: Date | null;

  @Column({ name: 'last_error', type: 'varchar', length: 500, nullable: true })
  lastError: string | null;

  /** The host guard's state as the monitor last read it (libs/hosts/host-guard.ts); null: not read yet. */
  @Column({ name: 'network_policy', type: 'varchar', length: 16, nullable: true })
  networkPolicy: NetworkPolicyState | null;

  @Column({ name: 'network_policy_reason', type: 'varchar', length: 500, nullable: true })
  networkPolicyReason: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
