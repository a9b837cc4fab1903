import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
} from 'typeorm';
import { Webhook } from './webhook.entity.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One event for one webhook: made once (unique pair), sent until a 2xx or its give-up time. */
@Entity('webhook_deliveries')
@Unique(['webhookId', 'eventSeq'])
@Index(['status', 'nextAttemptAt'])
@Index(['finishedAt'])
export class WebhookDelivery {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId: string;

  @ManyToOne(() => Webhook, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'webhook_id' })
  webhook?: Webhook;

  @Column({ name: 'event_seq', type: 'bigint' })
  eventSeq: string;

  @Column({ name: 'event_type', type: 'varchar', length: 60 })
  eventType: string;

  @Column({ name: 'event_created_at', type: 'timestamptz' })
  eventCreatedAt: Date;

  @Column({ type: 'varchar', length: 12, default: 'pending' })
  status: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  /** When it is due (pending); while one is in flight, the end of its lease. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt: Date | null;
}

/** One try of a delivery: its outcome as the sender saw it (the response body is not kept). */
@Entity('webhook_attempts')
@Index(['deliveryId', 'id'])
export class WebhookAttempt {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ name: 'delivery_id', type: 'bigint' })
  deliveryId: string;

  @ManyToOne(() => WebhookDelivery, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'delivery_id' })
  delivery?: WebhookDelivery;

  @Column({ name: 'attempted_at', type: 'timestamptz' })
  attemptedAt: Date;

  @Column({ name: 'status_code', type: 'int', nullable: true })
  statusCode: number | null;

  /** Why it failed without a status (timeout, refused address, connection error), cut at 300 characters. */
  @Column({ type: 'varchar', length: 300, nullable: true })
  error: string | null;

  @Column({ name: 'duration_ms', type: 'int' })
  durationMs: number;
}

/** The dispatcher's position in the event feed (one row). */
@Entity('webhook_dispatch_cursor')
export class WebhookDispatchCursor {
  @Column({ type: 'smallint', primary: true })
  id: number;

  @Column({ type: 'bigint' })
  seq: string;
}

/** A seq the dispatcher's cursor passed before its event was visible (see WebhooksRepository.fanOut). */
@Entity('webhook_dispatch_gaps')
export class WebhookDispatchGap {
  @Column({ type: 'bigint', primary: true })
  seq: string;

  @CreateDateColumn({ name: 'noted_at', type: 'timestamptz' })
  notedAt: Date;
}
