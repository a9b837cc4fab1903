import { Column, CreateDateColumn, Entity, Generated, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Who did what to which resource, and how it ended. Written by every mutation. */
@Entity('audit_events')
@Index(['tenantId', 'createdAt'])
@Index(['tenantId', 'seq'])
@Index(['createdAt'])
export class AuditEvent {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Write order: the cursor of audit pages (a timestamp is not unique and loses microseconds in JS). */
  @Index({ unique: true })
  @Column({ type: 'bigint', insert: false, update: false })
  @Generated('increment')
  seq: string;

  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId: string | null;

  /** `user:<id>`, `apikey:<id>` or `system`. */
  @Column({ type: 'varchar', length: 80 })
  actor: string;

  /** Dotted verb such as `app.create` or `plan.switch`. */
  @Column({ type: 'varchar', length: 80 })
  action: string;

  @Column({ type: 'varchar', length: 200, nullable: true })
  target: string | null;

  /** The client address of the request that caused it (behind a loopback proxy: X-Forwarded-For); null for the system. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  address: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  data: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
