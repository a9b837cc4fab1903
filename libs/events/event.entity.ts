import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One state change a tenant cares about, in the order it committed (`seq`, the feed's cursor). */
@Entity('events')
@Index(['tenantId', 'seq'])
@Index(['appId', 'seq'])
@Index(['createdAt'])
@Index(['tenantId', 'createdAt'])
export class TenantEvent {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  seq: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  /** Null for events about the tenant rather than one app (a quota refusal outside an app). */
  @Column({ name: 'app_id', type: 'uuid', nullable: true })
  appId: string | null;

  @Column({ type: 'varchar', length: 60 })
  type: string;

  /** What the event is about: `build:<id>`, `replica:<id>`, `release:<version>`, `domain:<hostname>`. */
  @Column({ type: 'varchar', length: 300, nullable: true })
  subject: string | null;

  /** Small facts of the change (bounded by the trigger or the writer; never secrets). */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  data: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
