import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import {
  EVENT_TYPES,
  EVENTS_PAGE_DEFAULT,
  EVENTS_PAGE_MAX,
  type EventsPage,
  type TenantEvent,
} from '../../../../libs/events/index.js';
import { APP_NAME_PATTERN } from '../apps/apps.dto.js';

export class EventsQuery {
  @ApiPropertyOptional({ example: 'billing-api', description: "Only this app's events (by name)" })
  @IsOptional()
  @IsString()
  @Matches(APP_NAME_PATTERN, { message: 'app must be an app name' })
  app?: string;

  @ApiPropertyOptional({
    example: 'build.,replica.oom_killed',
    description: `Comma-separated types (${EVENT_TYPES.join(', ')}) or prefixes ending in a dot (\`build.\`)`,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @ArrayMaxSize(40)
  @Matches(/^[a-z_]+\.([a-z_]+)?$/, {
    each: true,
    message: 'type must be an event type or a prefix ending in .',
  })
  type?: string[];

  @ApiPropertyOptional({
    example: '1042',
    description:
      'nextCursor of the previous page: the events after it, oldest first. Without: the newest events',
  })
  @IsOptional()
  @Matches(/^(0|[1-9][0-9]{0,17})$/, { message: 'after must be the nextCursor of a page' })
  after?: string;

  @ApiPropertyOptional({ example: EVENTS_PAGE_DEFAULT, minimum: 1, maximum: EVENTS_PAGE_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(EVENTS_PAGE_MAX)
  limit?: number;
}

export class EventView {
  @ApiProperty({ example: '1042', description: 'Grows with every event: the cursor' }) seq: string;
  @ApiProperty({ enum: EVENT_TYPES, example: 'build.succeeded' }) type: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) appId: string | null;
  @ApiProperty({ example: 'build:5f0c…', nullable: true, type: String, description: 'What it is about' })
  subject: string | null;
  @ApiProperty({ example: { buildId: '5f0c…' }, description: 'Facts of the change (never secrets)' })
  data: Record<string, unknown>;
  @ApiProperty({ example: '2026-12-05T12:00:00.000Z' }) createdAt: string;

  static from(event: TenantEvent): EventView {
    return Object.assign(new EventView(), {
      seq: event.seq,
      type: event.type,
      appId: event.appId,
      subject: event.subject,
      data: event.data,
      createdAt: event.createdAt.toISOString(),
    });
  }
}

export class EventsPageView {
  @ApiProperty({ type: EventView, isArray: true, description: 'Oldest first' }) events: EventView[];
  @ApiProperty({
    nullable: true,
    type: String,
    example: '1042',
    description:
      'Pass as `after` for what comes next (kept when the page is empty); null when there is no event yet',
  })
  nextCursor: string | null;

  static from(page: EventsPage): EventsPageView {
    return Object.assign(new EventsPageView(), {
      events: page.events.map((event) => EventView.from(event)),
      nextCursor: page.nextCursor,
    });
  }
}
