import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { IsBoolean, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { MIN_BUILD_MEMORY_MB } from '../../../../libs/builds/index.js';
import { limitsOf, type Plan } from '../../../../libs/plans/index.js';

/** A plan's stable id, as its create enforces it. */
export const PLAN_ID_PATTERN = /^[a-z][a-z0-9-]{1,39}$/;

export class PlanLimitsRequest {
  @ApiProperty({ example: 'Team', maxLength: 80 }) @IsString() @Length(1, 80) name: string;
  @ApiProperty({ example: 512, description: 'Memory of one container, MB' })
  @IsInt()
  @Min(32)
  @Max(65536)
  memoryMb: number;
  @ApiProperty({ example: 1000, description: 'CPU of one container, thousandths of a core' })
  @IsInt()
  @Min(10)
  @Max(64000)
  cpuMillis: number;
  @ApiPropertyOptional({
    example: 2048,
    description:
      'Memory of one build (npm install and image assembly), MB, apart from the container size (default 1024)',
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_BUILD_MEMORY_MB)
  @Max(65536)
  buildMemoryMb?: number;
  @ApiPropertyOptional({
    example: 2000,
    description: 'CPU of one build, thousandths of a core (default 1000: one core)',
  })
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(64000)
  buildCpuMillis?: number;
  @ApiProperty({ example: 20 }) @IsInt() @Min(0) @Max(10000) maxApps: number;
  @ApiProperty({ example: 10 }) @IsInt() @Min(1) @Max(1000) maxReplicasPerApp: number;
  @ApiProperty({ example: 8192 }) @IsInt() @Min(0) @Max(10_000_000) maxTotalMemoryMb: number;
  @ApiProperty({ example: true }) @IsBoolean() loadBalancerAllowed: boolean;
  @ApiPropertyOptional({
    example: true,
    description: 'Whether apps may sleep when idle and wake on their next request (default false)',
  })
  @IsOptional()
  @IsBoolean()
  scaleToZero?: boolean;
  @ApiProperty({ example: 50 }) @IsInt() @Min(1) @Max(2048) maxUploadMb: number;
  @ApiProperty({ example: 900 }) @IsInt() @Min(30) @Max(7200) buildTimeoutSeconds: number;
  @ApiProperty({ example: 4 }) @IsInt() @Min(1) @Max(100) concurrentBuilds: number;
  @ApiPropertyOptional({ example: 5, description: 'Custom domains per tenant (default 0)' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10000)
  maxCustomDomains?: number;
  @ApiPropertyOptional({
    example: 20,
    description:
      'Finished builds kept per app (default 20); older ones lose their sources, logs and, unless a kept release runs it, their image',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  buildRetention?: number;
  @ApiPropertyOptional({
    example: 7,
    minimum: 1,
    maximum: 90,
    description:
      'Days events (GET /v1/events) are kept (default 7); older ones are deleted unless a webhook delivery of theirs is still retried',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(90)
  eventRetentionDays?: number;
  @ApiPropertyOptional({
    example: 50,
    minimum: 1,
    maximum: 1000,
    description:
      'Finished one-off runs per app whose output is kept (default 50); older runs keep their record, reading their output answers 410 run_expired',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  runRetention?: number;
  @ApiPropertyOptional({
    example: 7,
    minimum: 1,
    maximum: 90,
    description:
      "Days an app's log lines are kept after the day they were written (default 1), also once their container is gone; a change applies to lines written after it",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(90)
  logRetentionDays?: number;
  @ApiPropertyOptional({
    example: 100,
    minimum: 1,
    maximum: 10240,
    description:
      "MB of log text an app may keep per UTC day (default 100); past it the day's further lines are counted, not kept",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10240)
  logMbPerDay?: number;
  @ApiPropertyOptional({ example: false }) @IsOptional() @IsBoolean() isDefault?: boolean;
}

export class CreatePlanRequest extends PlanLimitsRequest {
  @ApiProperty({ example: 'team', description: 'Stable id: lower-case letters, digits and dashes' })
  @IsString()
  @Matches(PLAN_ID_PATTERN, { message: 'id must be 2-40 lower-case letters, digits or dashes' })
  id: string;
}

export class UpdatePlanRequest extends PartialType(PlanLimitsRequest) {}

export class SwitchPlanRequest {
  @ApiProperty({ example: 'pro' })
  @IsString()
  @Matches(PLAN_ID_PATTERN, { message: 'planId must be a plan id' })
  planId: string;
}

export class PlanView {
  @ApiProperty({ example: 'hobby' }) id: string;
  @ApiProperty({ example: 'Hobby' }) name: string;
  @ApiProperty({ example: 256 }) memoryMb: number;
  @ApiProperty({ example: 500 }) cpuMillis: number;
  @ApiProperty({ example: 1024, description: 'Memory of one build, MB' }) buildMemoryMb: number;
  @ApiProperty({ example: 1000, description: 'CPU of one build, thousandths of a core' })
  buildCpuMillis: number;
  @ApiProperty({ example: 5 }) maxApps: number;
  @ApiProperty({ example: 5 }) maxReplicasPerApp: number;
  @ApiProperty({ example: 2048 }) maxTotalMemoryMb: number;
  @ApiProperty({ example: true }) loadBalancerAllowed: boolean;
  @ApiProperty({ example: true, description: 'Apps may sleep when idle (scale to zero)' })
  scaleToZero: boolean;
  @ApiProperty({ example: 25 }) maxUploadMb: number;
  @ApiProperty({ example: 600 }) buildTimeoutSeconds: number;
  @ApiProperty({ example: 2 }) concurrentBuilds: number;
  @ApiProperty({ example: 2 }) maxCustomDomains: number;
  @ApiProperty({ example: 20, description: 'Finished builds kept per app' }) buildRetention: number;
  @ApiProperty({ example: 7, description: 'Days events are kept' }) eventRetentionDays: number;
  @ApiProperty({ example: 50, description: 'Finished runs per app whose output is kept' })
  runRetention: number;
  @ApiProperty({ example: 7, description: "Days an app's log lines are kept" }) logRetentionDays: number;
  @ApiProperty({ example: 100, description: 'MB of log text an app may keep per day' })
  logMbPerDay: number;
  @ApiProperty({ example: false }) isDefault: boolean;
  @ApiProperty({ nullable: true, type: String, example: null }) retiredAt: string | null;

  static from(plan: Plan): PlanView {
    return Object.assign(new PlanView(), {
      id: plan.id,
      name: plan.name,
      ...limitsOf(plan),
      isDefault: plan.isDefault,
      retiredAt: plan.retiredAt?.toISOString() ?? null,
    });
  }
}
