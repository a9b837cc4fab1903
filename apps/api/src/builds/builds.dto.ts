import { ApiProperty } from '@nestjs/swagger';
import type { BuildLogEntry, Build } from '../../../../libs/builds/index.js';

export class BuildView {
  @ApiProperty({ example: '1f2e…' }) id: string;
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'], example: 'running' })
  status: string;
  @ApiProperty({ example: '4c1d…' }) sourceSha256: string;
  @ApiProperty({ example: 18234 }) sourceBytes: number;
  @ApiProperty({ nullable: true, type: String, example: null }) image: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) error: string | null;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'The release this build made' })
  releaseId: string | null;
  @ApiProperty({ example: 600 }) timeoutSeconds: number;
  @ApiProperty({ example: '2026-11-23T14:00:00.000Z' }) createdAt: string;
  @ApiProperty({ nullable: true, type: String, example: '2026-11-23T14:00:01.000Z' }) startedAt:
    string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) finishedAt: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description:
      "When retention expired the build (beyond the plan's buildRetention newest): its sources and log are deleted, its log answers 410 build_expired",
  })
  expiredAt: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description: 'When retention deleted its image (no kept release runs it)',
  })
  imageRemovedAt: string | null;
  @ApiProperty({
    example: '/v1/apps/billing-api/builds/1f2e…',
    description: 'Poll until the build has finished',
  })
  statusUrl: string;
  @ApiProperty({ example: '/v1/apps/billing-api/builds/1f2e…/log' }) logUrl: string;

  static in(appName: string) {
    return (build: Build): BuildView =>
      Object.assign(new BuildView(), {
        id: build.id,
        status: build.status,
        sourceSha256: build.sourceSha256,
        sourceBytes: Number(build.sourceBytes),
        image: build.image,
        error: build.error,
        releaseId: build.releaseId,
        timeoutSeconds: build.timeoutSeconds,
        createdAt: build.createdAt.toISOString(),
        startedAt: build.startedAt?.toISOString() ?? null,
        finishedAt: build.finishedAt?.toISOString() ?? null,
        expiredAt: build.expiredAt?.toISOString() ?? null,
        imageRemovedAt: build.imageRemovedAt?.toISOString() ?? null,
        statusUrl: `/v1/apps/${appName}/builds/${build.id}`,
        logUrl: `/v1/apps/${appName}/builds/${build.id}/log`,
      });
  }
}

export class BuildLogLineView {
  @ApiProperty({ example: 12, description: 'Monotonic per build: resume with ?after=' }) seq: number;
  @ApiProperty({ example: '2026-11-23T14:00:02.000Z' }) at: string;
  @ApiProperty({ example: 'Step 4/9 : RUN npm install --omit=dev' }) text: string;
}

export class BuildLogView {
  @ApiProperty({ enum: ['queued', 'running', 'succeeded', 'failed', 'cancelled'], example: 'running' })
  status: string;
  @ApiProperty({ type: BuildLogLineView, isArray: true }) lines: BuildLogEntry[];
  @ApiProperty({ example: 12, description: 'Pass as ?after= to read on' }) nextCursor: number;

  static from(result: { build: Build; lines: BuildLogEntry[] }, after: number): BuildLogView {
    return Object.assign(new BuildLogView(), {
      status: result.build.status,
      lines: result.lines,
      nextCursor: result.lines.at(-1)?.seq ?? after,
    });
  }
}
