import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  HEALTH_CHECK_DEFAULTS as DEFAULTS,
  HEALTH_CHECK_LIMITS as LIMITS,
  HEALTH_CHECK_PATH,
} from '../../../../libs/apps/index.js';
import type { AppSummary } from '../../../../libs/runtime/index.js';

export class HealthCheckRequest {
  @ApiProperty({
    example: '/healthz',
    description: `Origin-form path (and query) requested with GET on each replica's own port; at most ${LIMITS.pathMaxLength} characters`,
  })
  @IsString()
  @MaxLength(LIMITS.pathMaxLength)
  @Matches(HEALTH_CHECK_PATH, { message: 'path must be an origin-form path such as /healthz' })
  path: string;

  @ApiPropertyOptional({
    example: DEFAULTS.statusMin,
    minimum: LIMITS.status.min,
    maximum: LIMITS.status.max,
  })
  @IsOptional()
  @IsInt()
  @Min(LIMITS.status.min)
  @Max(LIMITS.status.max)
  statusMin?: number;

  @ApiPropertyOptional({
    example: DEFAULTS.statusMax,
    minimum: LIMITS.status.min,
    maximum: LIMITS.status.max,
  })
  @IsOptional()
  @IsInt()
  @Min(LIMITS.status.min)
  @Max(LIMITS.status.max)
  statusMax?: number;

  @ApiPropertyOptional({
    example: DEFAULTS.intervalMs,
    minimum: LIMITS.intervalMs.min,
    maximum: LIMITS.intervalMs.max,
  })
  @IsOptional()
  @IsInt()
  @Min(LIMITS.intervalMs.min)
  @Max(LIMITS.intervalMs.max)
  intervalMs?: number;

  @ApiPropertyOptional({
    example: DEFAULTS.timeoutMs,
    minimum: LIMITS.timeoutMs.min,
    maximum: LIMITS.timeoutMs.max,
    description: 'At most intervalMs',
  })
  @IsOptional()
  @IsInt()
  @Min(LIMITS.timeoutMs.min)
  @Max(LIMITS.timeoutMs.max)
  timeoutMs?: number;

  @ApiPropertyOptional({
    example: DEFAULTS.gracePeriodMs,
    minimum: LIMITS.gracePeriodMs.min,
    maximum: LIMITS.gracePeriodMs.max,
    description: 'No probe this long after a replica starts',
  })
  @IsOptional()
  @IsInt()
  @Min(LIMITS.gracePeriodMs.min)
  @Max(LIMITS.gracePeriodMs.max)
  gracePeriodMs?: number;

  @ApiPropertyOptional({
    example: DEFAULTS.successThreshold,
    minimum: LIMITS.threshold.min,
    maximum: LIMITS.threshold.max,
    description: 'Consecutive passes before a new replica takes over from an old one',
  })
  @IsOptional()
  @IsInt()
  @Min(LIMITS.threshold.min)
  @Max(LIMITS.threshold.max)
  successThreshold?: number;

  @ApiPropertyOptional({
    example: DEFAULTS.failureThreshold,
    minimum: LIMITS.threshold.min,
    maximum: LIMITS.threshold.max,
    description: 'Consecutive failures that make a replica unhealthy',
  })
  @IsOptional()
  @IsInt()
  @Min(LIMITS.threshold.min)
  @Max(LIMITS.threshold.max)
  failureThreshold?: number;

  @ApiPropertyOptional({
    example: 300000,
    nullable: true,
    type: Number,
    minimum: LIMITS.rollbackWindowMs.min,
    maximum: LIMITS.rollbackWindowMs.max,
    description:
      'How long after its rollout a failing release is rolled back; null or absent: the platform default',
  })
  @IsOptional()
  @IsInt()
  @Min(LIMITS.rollbackWindowMs.min)
  @Max(LIMITS.rollbackWindowMs.max)
  rollbackWindowMs?: number | null;
}

export class HealthCheckView {
  @ApiProperty({ example: '/healthz' }) path: string;
  @ApiProperty({ example: 200 }) statusMin: number;
  @ApiProperty({ example: 399 }) statusMax: number;
  @ApiProperty({ example: 5000 }) intervalMs: number;
  @ApiProperty({ example: 2000 }) timeoutMs: number;
  @ApiProperty({ example: 0 }) gracePeriodMs: number;
  @ApiProperty({ example: 1 }) successThreshold: number;
  @ApiProperty({ example: 3 }) failureThreshold: number;
  @ApiProperty({ nullable: true, type: Number, example: null }) rollbackWindowMs: number | null;
}

export class RolloutView {
  @ApiProperty({
    enum: ['rolling_out', 'rolled_out', 'rolled_back'],
    example: 'rolled_back',
    description:
      'rolling_out: the current release is not fully ready yet; rolled_out: it is; rolled_back: a release failed its health check and the app went back to the current one',
  })
  state: string;
  @ApiProperty({ example: 2, description: 'The current release' }) version: number;
  @ApiProperty({
    nullable: true,
    type: String,
    example:
      'replica 1a2b3c4d of v3 failed its health check 3 times in a row: GET /healthz answered 500 (expected 200-399)',
  })
  reason: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 3, description: 'The release rolled back from' })
  fromVersion: number | null;
  @ApiProperty({ nullable: true, type: Number, example: 2, description: 'The release rolled back to' })
  toVersion: number | null;
  @ApiProperty({ nullable: true, type: String, example: '2026-11-23T14:00:00.000Z' }) at: string | null;

  static from(o: AppSummary): RolloutView | null {
    if (!o.release) return null;
    const rollback = o.app.lastAutoRollback;
    if (rollback && rollback.toVersion === o.release.version) {
      return Object.assign(new RolloutView(), {
        state: 'rolled_back',
        version: o.release.version,
        ...rollback,
      });
    }
    return Object.assign(new RolloutView(), {
      state: o.release.rolledOutAt ? 'rolled_out' : 'rolling_out',
      version: o.release.version,
      reason: null,
      fromVersion: null,
      toVersion: null,
      at: o.release.rolledOutAt?.toISOString() ?? null,
    });
  }
}
