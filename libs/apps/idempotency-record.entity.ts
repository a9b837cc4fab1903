import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * The first response to a create sent with an Idempotency-Key: a retry with the same key and body replays
 * it; the same key with another body is refused.
 */
@Entity('idempotency_records')
export class IdempotencyRecord {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @PrimaryColumn({ type: 'varchar', length: 200 })
  key: string;

  /** Route and body fingerprint (sha256). */
  @Column({ name: 'request_hash', type: 'varchar', length: 64 })
  requestHash: string;

  /** Null while the first request is still being processed. */
  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus: number | null;

  @Column({ name: 'response_body', type: 'jsonb', nullable: true })
  responseBody: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
