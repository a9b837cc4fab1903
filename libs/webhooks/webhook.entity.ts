import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A tenant's endpoint and the event types (or `prefix.`) it gets; its secrets are sealed (libs/crypto). */
@Entity('webhooks')
@Index(['tenantId', 'createdAt'])
export class Webhook {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'varchar', length: 2000 })
  url: string;

  /** Exact types or prefixes ending in a dot. */
  @Column({ name: 'event_types', type: 'text', array: true })
  eventTypes: string[];

  /** SecretBox-sealed, the webhook id bound in; returned once at creation or rotation, never again. */
  @Column({ name: 'secret_sealed', type: 'text' })
  secretSealed: string;

  /** The secret before the last rotation: it still signs until previousSecretUntil. */
  @Column({ name: 'previous_secret_sealed', type: 'text', nullable: true })
  previousSecretSealed: string | null;

  @Column({ name: 'previous_secret_until', type: 'timestamptz', nullable: true })
  previousSecretUntil: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
