import { Controller, Get, Query, Req, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { Principal } from '../../../../libs/identity/permissions.js';
import { UsageService } from '../../../../libs/metering/usage.service.js';
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
  type: UsagePageView,
  description:
    'JSON page, or with Accept: text/csv (or format=csv) a CSV stream of the records after the cursor ' +
    '(limit rows, default all) with the resume point in the X-Next-Cursor header',
};
const ACCEPT = { name: 'Accept', required: false, description: 'text/csv to stream CSV' };

@ApiTags('usage')
@Controller('v1/usage')
@ApiBadRequestResponse(BAD_FILTER)
export class UsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @Authorize('usage:read')
  @ApiOperation({ summary: "The tenant's usage records, paged by cursor in the order they were written" })
  @ApiHeader(ACCEPT)
  @ApiProduces('application/json', 'text/csv')
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
@ApiBadRequestResponse(BAD_FILTER)
export class AdminUsageController {
  constructor(private readonly usage: UsageService) {}

  @Get()
  @PlatformAuthorize('usage:read')
  @ApiOperation({
    summary: "Every tenant's usage records, paged by cursor (operators, platform keys with usage:read)",
  })
  @ApiHeader(ACCEPT)
  @ApiProduces('application/json', 'text/csv')
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
