import { Body, Controller, Delete, Get, Put } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppsService } from '../../../../libs/apps/index.js';
import type { Principal } from '../../../../libs/identity/index.js';
import { argvOf } from '../../../../libs/runs/index.js';
import { AppNameParam } from '../apps/app-name.param.js';
import { Authorize, CurrentPrincipal } from '../auth/authorization.js';
import { ReleaseCommandRequest, ReleaseCommandView } from './runs.dto.js';

@ApiTags('runs')
@Controller('v1/apps/:app/release-command')
@ApiNotFoundResponse({ description: 'No such app in your tenant (code not_found)' })
export class ReleaseCommandController {
  constructor(private readonly apps: AppsService) {}

  @Get()
  @Authorize('apps:read')
  @ApiOperation({ summary: "The release phase's command set through the API (null: package.json's, if any)" })
  @ApiOkResponse({ type: ReleaseCommandView })
  async get(@CurrentPrincipal() p: Principal, @AppNameParam() app: string): Promise<ReleaseCommandView> {
    return ReleaseCommandView.from(await this.apps.get(p, app));
  }

  @Put()
  @Authorize('apps:write')
  @ApiOperation({
    summary:
      "Set the command every next release runs once before its replicas start (wins over package.json's berth:release)",
  })
  @ApiOkResponse({ type: ReleaseCommandView })
  async put(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Body() body: ReleaseCommandRequest,
  ): Promise<ReleaseCommandView> {
    return ReleaseCommandView.from(await this.apps.setReleaseCommand(p, app, argvOf(body.command)));
  }

  @Delete()
  @Authorize('apps:write')
  @ApiOperation({ summary: "Clear it: next releases run package.json's berth:release script, if any" })
  @ApiOkResponse({ type: ReleaseCommandView })
  async clear(@CurrentPrincipal() p: Principal, @AppNameParam() app: string): Promise<ReleaseCommandView> {
    return ReleaseCommandView.from(await this.apps.setReleaseCommand(p, app, null));
  }
}
