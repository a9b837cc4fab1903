import { Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Principal } from '../../../../libs/identity/index.js';
import { AppLogsService } from '../../../../libs/logs/index.js';
import { HeavyRead } from '../http/heavy-read.guard.js';
import { AppNameParam } from '../apps/app-name.param.js';
import { Authorize, CurrentPrincipal } from '../auth/authorization.js';
import { streamNdjson, wantsNdjson } from '../http/ndjson.js';
import { AppLogsQuery, LogLineView, LogSessionView, LogsView } from './logs.dto.js';
import { websocketBase } from './websocket-base.js';

@ApiTags('logs')
@Controller('v1/apps/:app')
@ApiNotFoundResponse({ description: 'No such app in your tenant (code not_found)' })
export class LogsController {
  constructor(private readonly logs: AppLogsService) {}

  @Get('logs')
  @Authorize('logs:read')
  @HeavyRead()
  @ApiOperation({
    summary:
      "The app's log merged across its replicas in time order; NDJSON (every matching line) with Accept: application/x-ndjson",
  })
  @ApiHeader({ name: 'Accept', required: false, description: 'application/x-ndjson streams the lines' })
  @ApiProduces('application/json', 'application/x-ndjson')
  @ApiOkResponse({ type: LogsView })
  @ApiBadRequestResponse({
    description:
      'A bad filter (codes validation_failed, invalid_timestamp, invalid_time_range, invalid_cursor, invalid_tail)',
  })
  async read(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Query() query: AppLogsQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<LogsView | void> {
    const read = await this.logs.open(p, app, query.filter());
    if (!wantsNdjson(request)) return LogsView.from(await read.page(query.limit));
    await streamNdjson(request, response, (signal) => LogLineView.stream(read.stream(signal)));
  }

  @Post('log-sessions')
  @Authorize('logs:read')
  @HttpCode(201)
  @ApiOperation({
    summary:
      "Open a log session: a short-lived token and the WebSocket URL streaming the app's live log (for browsers)",
  })
  @ApiCreatedResponse({ type: LogSessionView })
  async createSession(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Req() request: Request,
  ): Promise<LogSessionView> {
    return LogSessionView.from(await this.logs.createSession(p, app), websocketBase(request), app);
  }
}
