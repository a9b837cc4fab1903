import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { MAX_WAIT_MS, type AppWaitResult, type WaitTarget } from '../../../../libs/runtime/index.js';
import { AppView } from './apps.dto.js';

const DEFAULT_WAIT_MS = 30_000;

export class AppWaitQuery {
  @ApiPropertyOptional({
    example: '5b0e3c1a-…',
    description: 'Wait for the release this build makes (what a deploying client knows after its upload)',
  })
  @IsOptional()
  @IsUUID('all', { message: 'build must be a build id' })
  build?: string;

  @ApiPropertyOptional({ example: 7, minimum: 1, description: 'Wait for this release (by version)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'release must be a release version' })
  @Min(1)
  release?: number;

  @ApiPropertyOptional({
    example: DEFAULT_WAIT_MS,
    minimum: 1,
    maximum: MAX_WAIT_MS,
    description: `Milliseconds to wait at most (default ${DEFAULT_WAIT_MS}); then the answer says timeout`,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'timeout must be an integer number of milliseconds' })
  @Min(1)
  @Max(MAX_WAIT_MS)
  timeout?: number;

  get target(): WaitTarget {
    return { build: this.build, release: this.release };
  }

  get timeoutMs(): number {
    return this.timeout ?? DEFAULT_WAIT_MS;
  }
}

export class AppWaitView {
  @ApiProperty({
    enum: ['ready', 'failed', 'timeout'],
    example: 'ready',
    description:
      'ready: a web replica of the release answers (its endpoints below); failed: it never will (the build failed, the release crashloops or was superseded); timeout: neither yet, ask again',
  })
  outcome: string;
  @ApiProperty({ nullable: true, type: String, example: null }) reason: string | null;
  @ApiProperty({ nullable: true, type: Number, example: 7, description: 'The awaited release' })
  release: number | null;
  @ApiProperty({
    example: ['http://127.0.0.1:49153'],
    isArray: true,
    type: String,
    description: "The endpoints of the release's running web replicas",
  })
  endpoints: string[];
  @ApiProperty({ type: AppView }) app: AppView;

  static from(result: AppWaitResult): AppWaitView {
    return Object.assign(new AppWaitView(), {
      outcome: result.outcome,
      reason: result.reason,
      release: result.releaseVersion,
      endpoints: result.endpoints,
      app: AppView.from(result.overview),
    });
  }
}
