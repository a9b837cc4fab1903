import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, Matches, Max, Min } from 'class-validator';
import {
  AGGREGATION,
  type AppMetrics,
  type AppMetricsQuery,
  DEFAULT_STEP_SECONDS,
  MAX_POINTS,
  type MetricPoint,
  type MetricSeries,
} from '../../../../libs/metrics/index.js';

/** A day in seconds: the longest step (a week of 1,000 points needs ten minutes, a year of them 9 hours). */
const MAX_STEP_SECONDS = 86_400;

export class AppMetricsQueryDto {
  @ApiPropertyOptional({
    example: '2026-12-05T13:00:00Z',
    description: 'Start (ISO 8601); default an hour before `to`',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'from must be an ISO 8601 timestamp' })
  from?: string;

  @ApiPropertyOptional({
    example: '2026-12-05T14:00:00Z',
    description: 'End, exclusive (ISO 8601); default now',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'to must be an ISO 8601 timestamp' })
  to?: string;

  @ApiPropertyOptional({
    example: DEFAULT_STEP_SECONDS,
    minimum: 1,
    maximum: MAX_STEP_SECONDS,
    description: `Bucket length in seconds (buckets aligned to the epoch); at most ${MAX_POINTS} buckets in the range`,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'step must be an integer number of seconds' })
  @Min(1)
  @Max(MAX_STEP_SECONDS)
  step?: number;

  @ApiPropertyOptional({
    example: 'all',
    description:
      'Absent: one series, every replica (and the balancer) summed. `all`: one series per replica. A replica id: that replica only',
  })
  @IsOptional()
  @Matches(/^(all|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/, {
    message: 'replica must be all or a replica id',
  })
  replica?: string;

  toQuery(): AppMetricsQuery {
    return {
      from: this.from === undefined ? undefined : new Date(this.from),
      to: this.to === undefined ? undefined : new Date(this.to),
      stepSeconds: this.step,
      replica: this.replica,
    };
  }
}

export class MetricPointView {
  @ApiProperty({ example: '2026-12-05T13:59:00.000Z', description: 'Start of the bucket' })
  at: string;
  @ApiProperty({ example: 6, description: 'Samples in the bucket, every replica counted' })
  samples: number;
  @ApiProperty({ example: 2, description: 'Replicas with a sample in the bucket' })
  replicas: number;
  @ApiProperty({
    example: 212.5,
    nullable: true,
    type: Number,
    description: 'CPU used, thousandths of a core',
  })
  cpuMillicores: number | null;
  @ApiProperty({
    example: 0.425,
    nullable: true,
    type: Number,
    description: 'CPU used / CPU limit (1 = the whole limit)',
  })
  cpuShare: number | null;
  @ApiProperty({ example: 73400320 })
  memoryBytes: number;
  @ApiProperty({ example: 268435456 })
  memoryLimitBytes: number;
  @ApiProperty({ example: 10240 })
  networkRxBytes: number;
  @ApiProperty({ example: 20480 })
  networkTxBytes: number;
  @ApiProperty({ example: 0 })
  blockReadBytes: number;
  @ApiProperty({ example: 4096 })
  blockWriteBytes: number;
  @ApiProperty({ example: 9 })
  pids: number;
  @ApiProperty({ example: 0 })
  restarts: number;
  @ApiProperty({ example: 0, description: 'Restarts after an OOM kill' })
  oomKills: number;

  static from(point: MetricPoint): MetricPointView {
    return Object.assign(new MetricPointView(), { ...point, at: point.at.toISOString() });
  }
}

export class MetricSeriesView {
  @ApiProperty({ example: null, nullable: true, type: String, description: 'null: every replica summed' })
  replica: string | null;
  @ApiProperty({ example: null, nullable: true, type: String, enum: ['web', 'lb'] })
  role: string | null;
  @ApiProperty({ type: [MetricPointView], description: 'Buckets that hold samples, oldest first' })
  points: MetricPointView[];

  static from(series: MetricSeries): MetricSeriesView {
    return Object.assign(new MetricSeriesView(), {
      replica: series.replica,
      role: series.role,
      points: series.points.map((p) => MetricPointView.from(p)),
    });
  }
}

export class AppMetricsView {
  @ApiProperty({ example: 'web' })
  app: string;
  @ApiProperty({ example: '2026-12-05T13:00:00.000Z' })
  from: string;
  @ApiProperty({ example: '2026-12-05T14:00:00.000Z' })
  to: string;
  @ApiProperty({ example: 60, description: 'Bucket length, seconds' })
  step: number;
  @ApiProperty({ example: null, nullable: true, type: String })
  replica: string | null;
  @ApiProperty({
    example: AGGREGATION,
    description: 'How each figure of a bucket is made from the samples in it',
  })
  aggregation: Record<string, string>;
  @ApiProperty({ type: [MetricSeriesView] })
  series: MetricSeriesView[];

  static from(metrics: AppMetrics): AppMetricsView {
    return Object.assign(new AppMetricsView(), {
      app: metrics.app,
      from: metrics.from.toISOString(),
      to: metrics.to.toISOString(),
      step: metrics.stepSeconds,
      replica: metrics.replica,
      aggregation: { ...metrics.aggregation },
      series: metrics.series.map((s) => MetricSeriesView.from(s)),
    });
  }
}
