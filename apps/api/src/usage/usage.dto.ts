import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import {
  type TenantUsageTotals,
  type UsagePage,
  type UsageSums,
  type UsageTotals,
  MAX_PAGE_SIZE,
  type UsageRecord,
  USAGE_KINDS,
  type UsageKind,
} from '../../../../libs/metering/index.js';
import { APP_NAME_PATTERN } from '../apps/apps.dto.js';

const FROM = 'Records whose window starts at or after this instant (ISO 8601)';
const TO = 'Records whose window starts before this instant (ISO 8601)';

class UsageRangeQuery {
  @ApiPropertyOptional({ enum: USAGE_KINDS, example: 'web' })
  @IsOptional()
  @IsIn(USAGE_KINDS)
  kind?: UsageKind;

  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z', description: FROM })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'from must be an ISO 8601 timestamp' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: TO })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'to must be an ISO 8601 timestamp' })
  to?: string;
}

export class TenantUsageTotalsQuery extends UsageRangeQuery {
  @ApiPropertyOptional({ example: 'billing-api', description: 'Only this app (by name)' })
  @IsOptional()
  @IsString()
  @Matches(APP_NAME_PATTERN, { message: 'app must be an app name' })
  app?: string;
}

export class AdminUsageTotalsQuery extends UsageRangeQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Only this tenant (by id)' })
  @IsOptional()
  @IsUUID('all', { message: 'tenant must be a tenant id (UUID)' })
  tenant?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this app (by id)' })
  @IsOptional()
  @IsUUID('all', { message: 'app must be an app id (UUID)' })
  app?: string;
}

/** Paging and output format, shared by the tenant and the admin listing. */
class PageOptions {
  @ApiPropertyOptional({
    example: 100,
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    description: `Records per page (default 100, at most ${MAX_PAGE_SIZE}). For CSV: the most rows (default: all)`,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be an integer' })
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  @ApiPropertyOptional({ example: 'MTIzNA', description: 'nextCursor of the previous page (opaque)' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  cursor?: string;

  @ApiPropertyOptional({ enum: ['json', 'csv'], description: 'csv is the same as Accept: text/csv' })
  @IsOptional()
  @IsIn(['json', 'csv'])
  format?: 'json' | 'csv';
}

export class TenantUsageQuery extends IntersectionType(TenantUsageTotalsQuery, PageOptions) {}

export class AdminUsageQuery extends IntersectionType(AdminUsageTotalsQuery, PageOptions) {}

export class UsageRecordView {
  @ApiProperty({ example: '1234', description: 'Grows with every record written' }) id: string;
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) appId: string | null;
  @ApiProperty({ format: 'uuid', description: 'Replica id (web, lb), build id (build) or app id (egress)' })
  subjectId: string;
  @ApiProperty({ enum: USAGE_KINDS, example: 'web' }) kind: UsageKind;
  @ApiProperty({ example: '2026-11-23T14:00:00.000Z' }) windowStart: string;
  @ApiProperty({ example: '2026-11-23T14:01:00.000Z' }) windowEnd: string;
  @ApiProperty({ example: '59.250', description: 'Exact decimal seconds (millisecond precision)' })
  seconds: string;
  @ApiProperty({ example: 256 }) memoryMb: number;
  @ApiProperty({ example: 500, description: 'Thousandths of a CPU' }) cpuMillis: number;
  @ApiProperty({ example: 'hobby', nullable: true, type: String }) planId: string | null;
  @ApiProperty({ example: '0', description: 'egress: bytes from clients through the edge router; else 0' })
  bytesIn: string;
  @ApiProperty({ example: '0', description: 'egress: bytes to clients through the edge router; else 0' })
  bytesOut: string;
  @ApiProperty({ example: '2026-11-23T14:01:30.120Z' }) createdAt: string;

  static from(r: UsageRecord): UsageRecordView {
    return Object.assign(new UsageRecordView(), {
      id: r.id,
      tenantId: r.tenantId,
      appId: r.appId,
      subjectId: r.subjectId,
      kind: r.kind,
      windowStart: r.windowStart.toISOString(),
      windowEnd: r.windowEnd.toISOString(),
      seconds: r.seconds,
      memoryMb: r.memoryMb,
      cpuMillis: r.cpuMillis,
      planId: r.planId,
      bytesIn: String(r.bytesIn),
      bytesOut: String(r.bytesOut),
      createdAt: r.createdAt.toISOString(),
    });
  }
}

export class UsagePageView {
  @ApiProperty({ type: UsageRecordView, isArray: true }) records: UsageRecordView[];
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'MTI0Mg',
    description:
      'Pass as cursor for the next page. Always kept, even on the last page: records written later come after it',
  })
  nextCursor: string | null;
  @ApiProperty({ example: false, description: 'More records match right now' }) hasMore: boolean;

  static from(page: UsagePage): UsagePageView {
    return Object.assign(new UsagePageView(), {
      records: page.records.map(UsageRecordView.from),
      nextCursor: page.nextCursor,
      hasMore: page.hasMore,
    });
  }
}

export class UsageSumsView {
  @ApiProperty({ example: 3 }) records: number;
  @ApiProperty({ example: '127.500', description: 'Exact decimal' }) seconds: string;
  @ApiProperty({ example: '32640.000', description: 'Σ seconds × memory MB (exact decimal)' })
  mbSeconds: string;
  @ApiProperty({ example: '63.750000', description: 'Σ seconds × CPU millis / 1000 (exact decimal)' })
  cpuSeconds: string;
  @ApiProperty({ example: '0', description: 'Σ bytes from clients through the edge router (egress)' })
  bytesIn: string;
  @ApiProperty({ example: '0', description: 'Σ bytes to clients through the edge router (egress)' })
  bytesOut: string;
}

export class UsageKindTotalsView extends UsageSumsView {
  @ApiProperty({ enum: USAGE_KINDS, example: 'web' }) kind: UsageKind;
}

export class TenantUsageTotalsView extends UsageSumsView {
  @ApiProperty({ format: 'uuid' }) tenantId: string;
  @ApiProperty({ type: UsageKindTotalsView, isArray: true }) kinds: UsageKindTotalsView[];

  static from(t: TenantUsageTotals): TenantUsageTotalsView {
    return Object.assign(new TenantUsageTotalsView(), {
      tenantId: t.tenantId,
      ...sums(t),
      kinds: t.kinds.map((k) => Object.assign(new UsageKindTotalsView(), { kind: k.kind, ...sums(k) })),
    });
  }
}

export class UsageTotalsView {
  @ApiProperty({ type: TenantUsageTotalsView, isArray: true }) tenants: TenantUsageTotalsView[];
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'MTI0Mg',
    description: 'The totals cover exactly the matching records up to this cursor',
  })
  throughCursor: string | null;

  static from(t: UsageTotals): UsageTotalsView {
    return Object.assign(new UsageTotalsView(), {
      tenants: t.tenants.map(TenantUsageTotalsView.from),
      throughCursor: t.throughCursor,
    });
  }
}

function sums(s: UsageSums): UsageSums {
  return {
    records: s.records,
    seconds: s.seconds,
    mbSeconds: s.mbSeconds,
    cpuSeconds: s.cpuSeconds,
    bytesIn: s.bytesIn,
    bytesOut: s.bytesOut,
  };
}
