import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { MAX_IDLE_SECONDS, type App } from '../../../../libs/apps/index.js';

export class SleepRequest {
  @ApiProperty({
    example: 900,
    minimum: 1,
    maximum: MAX_IDLE_SECONDS,
    description:
      'Seconds without a request after which the app sleeps; at least the platform minimum (BERTH_SLEEP_MIN_IDLE_SECONDS, 60 by default)',
  })
  @IsInt()
  @Min(1)
  @Max(MAX_IDLE_SECONDS)
  afterIdleSeconds: number;
}

export class SleepView {
  @ApiProperty({ example: 900 }) afterIdleSeconds: number;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description: 'Set while the app sleeps: no replica runs; its next request wakes it',
  })
  sleepingSince: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '2026-12-05T14:00:00.000Z',
    description: 'The last request the edge router counted for the app (a few seconds behind)',
  })
  lastRequestAt: string | null;

  static from(app: App): SleepView | null {
    if (app.sleepAfterIdleSeconds === null) return null;
    return Object.assign(new SleepView(), {
      afterIdleSeconds: app.sleepAfterIdleSeconds,
      sleepingSince: app.sleepingSince?.toISOString() ?? null,
      lastRequestAt: app.lastRequestAt?.toISOString() ?? null,
    });
  }
}
