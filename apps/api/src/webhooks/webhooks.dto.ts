import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { EVENT_TYPES } from '../../../../libs/events/index.js';
import {
  DELIVERIES_PAGE_DEFAULT,
  DELIVERIES_PAGE_MAX,
  WEBHOOK_URL_MAX_LENGTH,
  type DeliveriesPage,
  type DeliveryStatus,
  type Webhook,
  type WebhookAttempt,
  type WebhookDelivery,
} from '../../../../libs/webhooks/index.js';

export class CreateWebhookRequest {
  @ApiProperty({
    example: 'https://hooks.example.com/berth',
    maxLength: WEBHOOK_URL_MAX_LENGTH,
    description: 'https (no user:password); its addresses must be public (checked at every delivery)',
  })
  @IsString()
  @MaxLength(WEBHOOK_URL_MAX_LENGTH)
  url: string;

  @ApiProperty({
    example: ['build.', 'replica.oom_killed'],
    description: `Event types (${EVENT_TYPES.join(', ')}) or prefixes ending in a dot (\`build.\`)`,
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(40)
  @Matches(/^[a-z_]+\.([a-z_]+)?$/, {
    each: true,
    message: 'events must be event types or prefixes ending in .',
  })
  events: string[];
}

export class WebhookView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'https://hooks.example.com/berth' }) url: string;
  @ApiProperty({ example: ['build.', 'replica.oom_killed'] }) events: string[];
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-12-06T12:00:00.000Z',
    description: 'After a rotation: until when the previous secret still signs (a second v1)',
  })
  previousSecretValidUntil: string | null;
  @ApiProperty({ example: '2026-12-05T12:00:00.000Z' }) createdAt: string;

  static from(webhook: Webhook): WebhookView {
    const until = webhook.previousSecretUntil;
    return Object.assign(new WebhookView(), {
      id: webhook.id,
      url: webhook.url,
      events: webhook.eventTypes,
      previousSecretValidUntil: until && until > new Date() ? until.toISOString() : null,
      createdAt: webhook.createdAt.toISOString(),
    });
  }
}

export class WebhookWithSecretView extends WebhookView {
  @ApiProperty({
    example: 'whsec_3q2…',
    description: 'The signing secret: shown here once, never again (rotate-secret makes a new one)',
  })
  secret: string;

  static withSecret(result: { webhook: Webhook; secret: string }): WebhookWithSecretView {
    return Object.assign(new WebhookWithSecretView(), WebhookView.from(result.webhook), {
      secret: result.secret,
    });
  }
}

export class DeliveriesQuery {
  @ApiPropertyOptional({ example: '1042', description: 'nextCursor of the previous page (older deliveries)' })
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'before must be the nextCursor of a page' })
  before?: string;

  @ApiPropertyOptional({ example: DELIVERIES_PAGE_DEFAULT, minimum: 1, maximum: DELIVERIES_PAGE_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(DELIVERIES_PAGE_MAX)
  limit?: number;
}

export class AttemptView {
  @ApiProperty({ example: '2026-12-05T12:00:01.000Z' }) at: string;
  @ApiProperty({ nullable: true, type: Number, example: 500, description: 'Null when no response came' })
  statusCode: number | null;
  @ApiProperty({ nullable: true, type: String, example: 'timed out after 5000 ms' }) error: string | null;
  @ApiProperty({ example: 42 }) durationMs: number;

  static from(attempt: WebhookAttempt): AttemptView {
    return Object.assign(new AttemptView(), {
      at: attempt.attemptedAt.toISOString(),
      statusCode: attempt.statusCode,
      error: attempt.error,
      durationMs: attempt.durationMs,
    });
  }
}

export class DeliveryView {
  @ApiProperty({ example: '1042', description: 'Sent as Berth-Delivery-Id' }) id: string;
  @ApiProperty({ example: '5120', description: "The event's seq, sent as Berth-Event-Id" }) eventId: string;
  @ApiProperty({ example: 'build.succeeded' }) eventType: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status: DeliveryStatus;
  @ApiProperty({ nullable: true, type: String, description: 'When the next attempt is due (pending)' })
  nextAttemptAt: string | null;
  @ApiProperty({ type: AttemptView, isArray: true, description: 'Oldest first' }) attempts: AttemptView[];

  static from(entry: { delivery: WebhookDelivery; attempts: WebhookAttempt[] }): DeliveryView {
    const { delivery } = entry;
    return Object.assign(new DeliveryView(), {
      id: delivery.id,
      eventId: delivery.eventSeq,
      eventType: delivery.eventType,
      status: delivery.status,
      nextAttemptAt:
        delivery.status === 'pending' && delivery.nextAttemptAt ? delivery.nextAttemptAt.toISOString() : null,
      attempts: entry.attempts.map((attempt) => AttemptView.from(attempt)),
    });
  }
}

export class DeliveriesPageView {
  @ApiProperty({ type: DeliveryView, isArray: true, description: 'Newest first' }) deliveries: DeliveryView[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `before` for older ones; null at the end',
  })
  nextCursor: string | null;

  static from(page: DeliveriesPage): DeliveriesPageView {
    return Object.assign(new DeliveriesPageView(), {
      deliveries: page.deliveries.map((entry) => DeliveryView.from(entry)),
      nextCursor: page.nextCursor,
    });
  }
}
