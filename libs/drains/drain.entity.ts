import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { App } from '../apps/index.js';

/**
 * Where an app's log lines are forwarded: an `https://` URL (NDJSON batches) or `syslog+tls://host:port`
 * (RFC 5424, octet-counted). The counters are kept in memory by the forwarding process and flushed here
 * periodically, so they lag by up to one flush.
 */
@Entity('log_drains')
@Index(['appId', 'createdAt'])
export class LogDrain {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'app_id', type: 'uuid' })
  appId: string;

  /** Removed with its app. */
  @ManyToOne(() => App, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'app_id' })
  app?: App;

  @Column({ type: 'varchar', length: 2000 })
  url: string;

  @Column({
    name: 'lines_sent',
    type: 'bigint',
    default: 0,
    transformer: { to: (v: number) => v, from: Number },
  })
  linesSent: number;

  @Column({
    name: 'lines_dropped',
    type: 'bigint',
    default: 0,
    transformer: { to: (v: number) => v, from: Number },
  })
  linesDropped: number;

  @Column({ name: 'last_error', type: 'varchar', length: 300, nullable: true })
  lastError: string | null;

  @Column({ name: 'last_sent_at', type: 'timestamptz', nullable: true })
  lastSentAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
