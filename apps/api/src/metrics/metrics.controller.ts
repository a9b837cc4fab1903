import { Controller, Get, Header, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '../../../../libs/identity/index.js';
import { AppMetricsService, PlatformMetrics } from '../../../../libs/metrics/index.js';
import { AppNameParam } from '../apps/app-name.param.js';
import { Authorize, CurrentPrincipal, PlatformAuthorize } from '../auth/authorization.js';
import { AppMetricsQueryDto, AppMetricsView } from './metrics.dto.js';

@ApiTags('metrics')
@Controller('v1/apps/:app/metrics')
@ApiNotFoundResponse({ description: 'No such app in your tenant (code not_found)' })
export class AppMetricsController {
  constructor(private readonly metrics: AppMetricsService) {}

  @Get()
  @Authorize('apps:read')
  @ApiOperation({
    summary:
      "The app's CPU, memory, network, block I/O, pids, restarts and OOM kills in buckets of `step` seconds, summed or per replica",
  })
  @ApiOkResponse({ type: AppMetricsView })
  @ApiBadRequestResponse({
    description: 'A bad range (codes validation_failed, invalid_time_range, too_many_points)',
  })
  async read(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Query() query: AppMetricsQueryDto,
  ): Promise<AppMetricsView> {
    return AppMetricsView.from(await this.metrics.series(p, app, query.toQuery()));
  }
}

@ApiTags('admin')
@Controller('v1/admin/metrics')
export class AdminMetricsController {
  constructor(private readonly platform: PlatformMetrics) {}

  @Get()
  @PlatformAuthorize('metrics:read')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiOperation({
    summary:
      'The platform in Prometheus text: build queue, replicas by state, hosts and their capacity, open log streams, reconcile passes, process metrics (operators, platform keys with metrics:read)',
  })
  @ApiOkResponse({ description: 'Prometheus text exposition format 0.0.4', schema: { type: 'string' } })
  scrape(): Promise<string> {
    return this.platform.scrape();
  }
}
