import { Controller, Get, Query, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiExtraModels,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Principal } from '../../../../libs/identity/index.js';
import { USAGE_CSV_COLUMNS, UsageService } from '../../../../libs/metering/index.js';
import { HeavyRead } from '../http/heavy-read.guard.js';
import { Authorize, CurrentPrincipal, PlatformAuthorize } from '../auth/authorization.js';
import { usageListResponse } from './usage-http.js';
import {
  AdminUsageQuery,
  AdminUsageTotalsQuery,
  TenantUsageQuery,
  TenantUsageTotalsQuery,
  UsagePageView,
  UsageTotalsView,
} from './usage.dto.js';

const BAD_FILTER = {
  description:
    'Bad filter (problem+json): validation_failed (limit, kind, dates, unknown parameter), invalid_cursor, invalid_range',
};
const LIST = {
  description:
    'JSON: one page. CSV (Accept: text/csv or format=csv): the records after the cursor (limit rows, default ' +
    'all), header row first; resume with the X-Next-Cursor header',
  headers: {
    'X-Next-Cursor': {
      description: 'CSV only: the cursor after the last exported record',
      schema: { type: 'string' },
    },
  },
  content: {
    'application/json': { schema: { $ref: getSchemaPath(UsagePageView) } },
    'text/csv': {
      schema: { type: 'string' },
      example:
        `${USAGE_CSV_COLUMNS.join(',')}\r\n1234,5f0c…,9a1b…,3e4d…,web,2026-11-23T14:00:00.000Z,` +
        '2026-11-23T14:01:00.000Z,59.250,256,500,hobby,2026-11-23T14:01:30.120Z\r\n',
    },
  },
};
const ACCEPT = { name: 'Accept', required: false, description: 'text/csv to stream CSV' };

@ApiTags('usage')
@Controller('v1/usage')
@ApiExtraModels(UsagePageView)
@ApiBadRequestResponse(BAD_FILTER)
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @Authorize('usage:read')
  @HeavyRead()
  @ApiOperation({ summary: "The tenant's usage records, paged by cursor in the order they were written" })
  @ApiHeader(ACCEPT)
  @ApiOkResponse(LIST)
  @ApiNotFoundResponse({ description: 'No such app in your tenant (code not_found)' })
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: TenantUsageQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UsagePageView | StreamableFile> {
    return usageListResponse(this.usage, p, 'tenant', query, request, response);
  }

  @Get('totals')
  @Authorize('usage:read')
  @HeavyRead()
  @ApiOperation({ summary: "The tenant's seconds, MB-seconds and CPU-seconds, per kind, over the filter" })
  @ApiOkResponse({ type: UsageTotalsView })
  @ApiNotFoundResponse({ description: 'No such app in your tenant (code not_found)' })
  async totals(
    @CurrentPrincipal() p: Principal,
    @Query() query: TenantUsageTotalsQuery,
  ): Promise<UsageTotalsView> {
    return UsageTotalsView.from(await this.usage.totals(p, 'tenant', query));
  }
}

@ApiTags('admin')
@Controller('v1/admin/usage')
@ApiExtraModels(UsagePageView)
@ApiBadRequestResponse(BAD_FILTER)
export class AdminUsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @PlatformAuthorize('usage:read')
  @ApiOperation({
    summary: "Every tenant's usage records, paged by cursor (operators, platform keys with usage:read)",
  })
  @ApiHeader(ACCEPT)
  @ApiOkResponse(LIST)
  async list(
    @CurrentPrincipal() p: Principal,
    @Query() query: AdminUsageQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<UsagePageView | StreamableFile> {
    return usageListResponse(this.usage, p, 'platform', query, request, response);
  }

  @Get('totals')
  @PlatformAuthorize('usage:read')
  @ApiOperation({ summary: 'Seconds, MB-seconds and CPU-seconds per tenant and kind, over the filter' })
  @ApiOkResponse({ type: UsageTotalsView })
  async totals(
    @CurrentPrincipal() p: Principal,
    @Query() query: AdminUsageTotalsQuery,
  ): Promise<UsageTotalsView> {
    return UsageTotalsView.from(await this.usage.totals(p, 'platform', query));
  }
}
