import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  AUDIT_PAGE_DEFAULT,
  AUDIT_PAGE_MAX,
  type AuditEvent,
  type AuditPage,
  type AuditPageFilter,
} from '../../../../libs/audit/index.js';

export class AuditEventsQuery {
  @ApiPropertyOptional({
    example: '1042',
    description: 'nextCursor of the previous page (older events follow)',
  })
  @IsOptional()
  @Matches(/^[1-9][0-9]{0,17}$/, { message: 'cursor must be the nextCursor of a page' })
  cursor?: string;

  @ApiPropertyOptional({
    example: 'app.',
    description: 'An exact action (`app.create`) or a prefix ending in a dot (`app.`, `key.`)',
  })
  @IsOptional()
  @Matches(/^[a-z][a-z_]*(\.[a-z_]+)*\.?$/, {
    message: 'action must be a dotted action or a prefix ending in .',
  })
  @MaxLength(80)
  action?: string;

  @ApiPropertyOptional({ example: 'apikey:5f0c…', description: '`user:<id>`, `apikey:<id>` or `system`' })
  @IsOptional()
  @Matches(/^(system|(user|apikey):[0-9a-f-]{36})$/, {
    message: 'actor must be user:<id>, apikey:<id> or system',
  })
  actor?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: 'Events at or after this instant' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'since must be an ISO 8601 timestamp' })
  since?: string;

  @ApiPropertyOptional({ example: '2026-12-06T00:00:00Z', description: 'Events before this instant' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'until must be an ISO 8601 timestamp' })
  until?: string;

  @ApiPropertyOptional({ example: AUDIT_PAGE_DEFAULT, minimum: 1, maximum: AUDIT_PAGE_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(AUDIT_PAGE_MAX)
  limit?: number;

  toFilter(): Omit<AuditPageFilter, 'tenantId'> {
    return {
      cursor: this.cursor,
      action: this.action,
      actor: this.actor,
      since: this.since === undefined ? undefined : new Date(this.since),
      until: this.until === undefined ? undefined : new Date(this.until),
      limit: this.limit,
    };
  }
}

export class AdminAuditEventsQuery extends AuditEventsQuery {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this tenant's events" })
  @IsOptional()
  @IsUUID('all', { message: 'tenant must be a tenant id (UUID)' })
  tenant?: string;
}

export class AuditEventView {
  @ApiProperty({ example: '1042', description: 'Grows with every event written' }) seq: string;
  @ApiProperty({ example: 'app.create' }) action: string;
  @ApiProperty({
    example: 'user:3e4d…',
    description: '`user:<id>`, `apikey:<id>` (the key used) or `system`',
  })
  actor: string;
  @ApiProperty({ example: 'hello', nullable: true, type: String, description: 'What it acted on' })
  target: string | null;
  @ApiProperty({
    example: '203.0.113.7',
    nullable: true,
    type: String,
    description: 'Client address; null for the system',
  })
  address: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) tenantId: string | null;
  @ApiProperty({ example: { replicas: 3 }, description: 'Details of the change (never secrets)' })
  data: Record<string, unknown>;
  @ApiProperty({ example: '2026-12-05T12:00:00.000Z' }) createdAt: string;

  static from(event: AuditEvent): AuditEventView {
    return Object.assign(new AuditEventView(), {
      seq: event.seq,
      action: event.action,
      actor: event.actor,
      target: event.target,
      address: event.address,
      tenantId: event.tenantId,
      data: event.data,
      createdAt: event.createdAt.toISOString(),
    });
  }
}

export class AuditPageView {
  @ApiProperty({ type: AuditEventView, isArray: true }) events: AuditEventView[];
  @ApiProperty({
    nullable: true,
    type: String,
    example: '1001',
    description: 'Pass as cursor for older events; null on the last page',
  })
  nextCursor: string | null;

  static from(page: AuditPage): AuditPageView {
    return Object.assign(new AuditPageView(), {
      events: page.items.map((event) => AuditEventView.from(event)),
      nextCursor: page.nextCursor,
    });
  }
}
