import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { DrainsService } from '../../../../libs/drains/index.js';
import type { Principal } from '../../../../libs/identity/index.js';
import { AppNameParam } from '../apps/app-name.param.js';
import { Authorize, CurrentPrincipal } from '../auth/authorization.js';
import { AddDrainRequest, DrainView } from './drains.dto.js';

@ApiTags('logs')
@Controller('v1')
@ApiNotFoundResponse({ description: 'No such app (or drain) in your tenant (code not_found)' })
export class DrainsController {
  constructor(private readonly drains: DrainsService) {}

  @Get('apps/:app/drains')
  @Authorize('logs:read')
  @ApiOperation({ summary: "The app's log drains with their counters (sent, dropped, last error)" })
  @ApiOkResponse({ type: [DrainView] })
  async list(@CurrentPrincipal() p: Principal, @AppNameParam() app: string): Promise<DrainView[]> {
    return (await this.drains.list(p, app)).map((drain) => DrainView.from(drain));
  }

  @Post('apps/:app/drains')
  @Authorize('apps:write')
  @ApiOperation({
    summary: "Forward the app's log lines to an HTTPS or syslog+tls endpoint (owners and admins)",
  })
  @ApiCreatedResponse({ type: DrainView })
  @ApiForbiddenResponse({
    description:
      'A member, not an owner or admin (code forbidden); over 5 drains per app (code quota_exceeded)',
  })
  @ApiUnprocessableEntityResponse({ description: 'Not an allowed drain URL (code invalid_drain_url)' })
  async add(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Body() body: AddDrainRequest,
  ): Promise<DrainView> {
    return DrainView.from(await this.drains.add(p, app, body.url));
  }

  @Delete('apps/:app/drains/:id')
  @Authorize('apps:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop forwarding to a drain (owners and admins)' })
  @ApiNoContentResponse()
  @ApiForbiddenResponse({ description: 'A member, not an owner or admin (code forbidden)' })
  async remove(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.drains.remove(p, app, id);
  }
}
