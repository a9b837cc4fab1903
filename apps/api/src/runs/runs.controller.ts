import {
  Body,
  Controller,
  Delete,
  Get,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Req,
  Res,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiGoneResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Principal } from '../../../../libs/identity/index.js';
import { LogStreamsService } from '../../../../libs/logs/index.js';
import { RunsService } from '../../../../libs/runs/index.js';
import { AppNameParam } from '../apps/app-name.param.js';
import { Authorize, CurrentPrincipal } from '../auth/authorization.js';
import { Accepted, IdempotencyKeyHeader } from '../http/accepted.js';
import { ContainerChange } from '../http/container-change.guard.js';
import { HeavyRead } from '../http/heavy-read.guard.js';
import { IdempotencyInterceptor } from '../http/idempotency.interceptor.js';
import { IntParamPipe } from '../http/int-param.pipe.js';
import { streamNdjson, wantsNdjson } from '../http/ndjson.js';
import { RunOutputView, RunPageView, RunView, StartRunRequest } from './runs.dto.js';

@ApiTags('runs')
@Controller('v1/apps/:app/runs')
@ApiNotFoundResponse({ description: 'No such app (or run) in your tenant (code not_found)' })
export class RunsController {
  constructor(
    private readonly runs: RunsService,
    private readonly streams: LogStreamsService,
  ) {}

  @Post()
  @ContainerChange()
  @Authorize('apps:write')
  @UseInterceptors(IdempotencyInterceptor)
  @IdempotencyKeyHeader()
  @Accepted(RunView, 'Run accepted; poll the Location, read its output or follow it over the WebSocket')
  @ApiOperation({
    summary: "Run a command once in a hardened container of the app's current release (image and env)",
  })
  @ApiConflictResponse({ description: 'The app has no release yet (code no_release)' })
  @ApiForbiddenResponse({
    description: "Beyond the plan's total memory (code quota_exceeded, with limit, current and requested)",
  })
  async start(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Body() body: StartRunRequest,
  ): Promise<RunView> {
    return RunView.in(app)(await this.runs.start(p, app, body));
  }

  @Get()
  @Authorize('apps:read')
  @ApiOperation({ summary: 'Runs of the app (one-off and release phase), newest first' })
  @ApiQuery({ name: 'limit', required: false, example: 20 })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiOkResponse({ type: RunPageView })
  async list(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Query('limit', new IntParamPipe({ min: 1, max: 100, default: 20 })) limit: number,
    @Query('cursor') cursor?: string,
  ): Promise<RunPageView> {
    const page = await this.runs.list(p, app, { limit, cursor });
    return { items: page.runs.map((run) => RunView.in(app)(run)), nextCursor: page.nextCursor };
  }

  @Get(':id')
  @Authorize('apps:read')
  @ApiOperation({ summary: 'One run: state, exit code, times and the last lines of its output' })
  @ApiOkResponse({ type: RunView })
  async get(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<RunView> {
    const { run, tail } = await this.runs.get(p, app, id);
    return RunView.in(app)(run, tail);
  }

  @Delete(':id')
  @Authorize('apps:write')
  @ApiOperation({ summary: 'Stop a run (its container is killed; an ended run is left as it is)' })
  @ApiOkResponse({ type: RunView })
  async stop(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<RunView> {
    return RunView.in(app)(await this.runs.stop(p, app, id));
  }

  @Get(':id/output')
  @HeavyRead()
  @Authorize('logs:read')
  @ApiOperation({
    summary:
      "The run's output, readable while it runs; with Accept: application/x-ndjson it streams until the run ends",
  })
  @ApiQuery({ name: 'after', required: false, example: 0, description: 'Return lines after this seq' })
  @ApiQuery({ name: 'limit', required: false, example: 1000 })
  @ApiHeader({ name: 'Accept', required: false, description: 'application/x-ndjson to follow live' })
  @ApiProduces('application/json', 'application/x-ndjson')
  @ApiOkResponse({ type: RunOutputView })
  @ApiGoneResponse({
    description:
      "The run's output expired under the plan's run retention (code run_expired): the run's record stays",
  })
  async output(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Param('id', ParseUUIDPipe) id: string,
    @Query('after', new IntParamPipe({ default: 0 })) after: number,
    @Query('limit', new IntParamPipe({ min: 1, max: 5000, default: 1000 })) limit: number,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<RunOutputView | void> {
    const result = await this.runs.outputPage(p, app, id, { after, limit });
    if (!wantsNdjson(request)) return RunOutputView.from(result, after);
    await streamNdjson(request, response, (signal) => this.runs.follow(result.run, after, signal), {
      hold: () => this.streams.acquireSlot(result.run.tenantId),
    });
  }
}
