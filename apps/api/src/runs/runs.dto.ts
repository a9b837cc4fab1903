import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min, ValidateBy, type ValidationOptions } from 'class-validator';
import type { App } from '../../../../libs/apps/index.js';
import { LONE_SURROGATE } from '../http/request-bodies.js';
import { MAX_RUN_TIMEOUT_SECONDS, type OneOffRun, type RunOutputEntry } from '../../../../libs/runs/index.js';

const MAX_ARGS = 64;
const MAX_COMMAND_CHARS = 8192;

/**
 * Why a command is refused, or undefined: a non-empty string, or 1-64 strings; no NUL, no lone surrogate;
 * 8 KiB in all.
 */
export function commandFault(value: unknown): string | undefined {
  const parts = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(parts) || parts.length === 0 || parts.length > MAX_ARGS) {
    return `command must be a string or an array of 1 to ${MAX_ARGS} strings`;
  }
  if (!parts.every((part) => typeof part === 'string')) return 'command must hold strings only';
  if ((parts as string[])[0]!.trim() === '') return 'command must not start with an empty string';
  if ((parts as string[]).some((part) => part.includes('\0'))) return 'command must not hold NUL bytes';
  // A lone surrogate has no UTF-8 form: the stored JSON (jsonb) refuses it, and no program could get it.
  if ((parts as string[]).some((part) => LONE_SURROGATE.test(part))) {
    return 'command must be well-formed Unicode (no lone surrogate)';
  }
  if ((parts as string[]).reduce((sum, part) => sum + part.length, 0) > MAX_COMMAND_CHARS) {
    return `command must be at most ${MAX_COMMAND_CHARS} characters in all`;
  }
  return undefined;
}

function IsCommand(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCommand',
      validator: {
        validate: (value) => commandFault(value) === undefined,
        defaultMessage: (args) => commandFault(args?.value) ?? 'command is invalid',
      },
    },
    options,
  );
}

export class StartRunRequest {
  @ApiProperty({
    oneOf: [
      { type: 'string' },
      { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: MAX_ARGS },
    ],
    example: ['node', 'scripts/migrate.js'],
    description: 'An argv array, or a string run as `sh -c <string>`',
  })
  @IsCommand()
  command: string[] | string;

  @ApiPropertyOptional({
    example: 300,
    minimum: 1,
    maximum: MAX_RUN_TIMEOUT_SECONDS,
    description: 'Killed after this many seconds (default 600)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RUN_TIMEOUT_SECONDS)
  timeoutSeconds?: number;
}

export class ReleaseCommandRequest {
  @ApiProperty({
    oneOf: [
      { type: 'string' },
      { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: MAX_ARGS },
    ],
    example: ['node', 'scripts/migrate.js'],
    description: 'An argv array, or a string run as `sh -c <string>`',
  })
  @IsCommand()
  command: string[] | string;
}

export class ReleaseCommandView {
  @ApiProperty({
    nullable: true,
    type: String,
    isArray: true,
    example: ['node', 'scripts/migrate.js'],
    description: 'Null: releases run package.json\'s scripts["berth:release"] through npm when there is one',
  })
  command: string[] | null;

  static from(app: App): ReleaseCommandView {
    return Object.assign(new ReleaseCommandView(), { command: app.releaseCommand });
  }
}

export class RunOutputLineView {
  @ApiProperty({ example: 3, description: 'Numbered per run from 1: resume with ?after=' }) seq: number;
  @ApiProperty({ example: '2026-12-05T14:00:02.000Z' }) at: string;
  @ApiProperty({ enum: ['stdout', 'stderr'], example: 'stdout' }) stream: string;
  @ApiProperty({ example: 'migrated 3 tables' }) text: string;
}

const STATES = ['starting', 'running', 'succeeded', 'failed', 'timed_out', 'stopped', 'error'];

export class RunView {
  @ApiProperty({ example: '6b0e…' }) id: string;
  @ApiProperty({ enum: ['run', 'release'], description: 'A one-off run, or a release phase command' })
  purpose: string;
  @ApiProperty({ enum: STATES, example: 'succeeded' }) state: string;
  @ApiProperty({ type: String, isArray: true, example: ['node', 'scripts/migrate.js'] }) command: string[];
  @ApiProperty({ example: 4, description: 'The release whose image and env it runs' }) releaseVersion: number;
  @ApiProperty({ nullable: true, type: Number, example: 0 }) exitCode: number | null;
  @ApiProperty({ example: false }) oomKilled: boolean;
  @ApiProperty({ nullable: true, type: String, example: 'exited with code 0' }) reason: string | null;
  @ApiProperty({ example: 600 }) timeoutSeconds: number;
  @ApiProperty({ example: 256 }) memoryMb: number;
  @ApiProperty({ example: 250 }) cpuMillis: number;
  @ApiProperty({ example: '2026-12-05T14:00:00.000Z' }) createdAt: string;
  @ApiProperty({ nullable: true, type: String, example: '2026-12-05T14:00:01.000Z' }) startedAt:
    string | null;
  @ApiProperty({ nullable: true, type: String, example: '2026-12-05T14:00:03.000Z' }) finishedAt:
    string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description:
      "When retention deleted its output (beyond the plan's runRetention newest finished runs of the app): its output answers 410 run_expired",
  })
  expiredAt: string | null;
  @ApiProperty({ example: '/v1/apps/billing-api/runs/6b0e…', description: 'Poll until it has ended' })
  statusUrl: string;
  @ApiProperty({ example: '/v1/apps/billing-api/runs/6b0e…/output' }) outputUrl: string;
  @ApiPropertyOptional({
    type: RunOutputLineView,
    isArray: true,
    description: 'The last lines of its output (one run only; the rest: outputUrl)',
  })
  outputTail?: RunOutputEntry[];

  static in(appName: string) {
    return (run: OneOffRun, tail?: RunOutputEntry[]): RunView =>
      Object.assign(new RunView(), {
        id: run.id,
        purpose: run.purpose,
        state: run.state,
        command: run.command,
        releaseVersion: run.releaseVersion,
        exitCode: run.exitCode,
        oomKilled: run.oomKilled,
        reason: run.reason,
        timeoutSeconds: run.timeoutSeconds,
        memoryMb: run.memoryMb,
        cpuMillis: run.cpuMillis,
        createdAt: run.createdAt.toISOString(),
        startedAt: run.startedAt?.toISOString() ?? null,
        finishedAt: run.finishedAt?.toISOString() ?? null,
        expiredAt: run.expiredAt?.toISOString() ?? null,
        statusUrl: `/v1/apps/${appName}/runs/${run.id}`,
        outputUrl: `/v1/apps/${appName}/runs/${run.id}/output`,
        ...(tail === undefined ? {} : { outputTail: tail }),
      });
  }
}

export class RunPageView {
  @ApiProperty({ type: RunView, isArray: true }) items: RunView[];
  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description: 'Pass as ?cursor= for older runs',
  })
  nextCursor: string | null;
}

export class RunOutputView {
  @ApiProperty({ enum: STATES, example: 'running' }) state: string;
  @ApiProperty({ type: RunOutputLineView, isArray: true }) lines: RunOutputEntry[];
  @ApiProperty({ example: 12, description: 'Pass as ?after= to read on' }) nextCursor: number;

  static from(result: { run: OneOffRun; lines: RunOutputEntry[] }, after: number): RunOutputView {
    return Object.assign(new RunOutputView(), {
      state: result.run.state,
      lines: result.lines,
      nextCursor: result.lines.at(-1)?.seq ?? after,
    });
  }
}
