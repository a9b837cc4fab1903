import { Controller, Get, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AppsService } from '../../../../libs/apps/index.js';
import { EventsService } from '../../../../libs/events/index.js';
import { tenantIdOf, type Principal } from '../../../../libs/identity/index.js';
import { Authorize, CurrentPrincipal } from '../auth/authorization.js';
import { EventsPageView, EventsQuery } from './events.dto.js';

@ApiTags('events')
@Controller('v1/events')
export class EventsController {
  constructor(
    private readonly events: EventsService,
    private readonly apps: AppsService,
  ) {}

  @Get()
  @Authorize('apps:read')
  @ApiOperation({
    summary:
      "Your tenant's events (builds, releases, rollouts, replicas, scaling, quota refusals, domains), by cursor",
  })
  @ApiOkResponse({ type: EventsPageView })
  @ApiBadRequestResponse({ description: 'Bad filter (problem+json, code validation_failed)' })
  @ApiNotFoundResponse({ description: 'No such app in your tenant (code not_found)' })
  async list(@CurrentPrincipal() p: Principal, @Query() query: EventsQuery): Promise<EventsPageView> {
    const appId = query.app === undefined ? undefined : (await this.apps.get(p, query.app)).id;
    return EventsPageView.from(
      await this.events.page({
        tenantId: tenantIdOf(p),
        appId,
        types: query.type,
        after: query.after,
        limit: query.limit,
      }),
    );
  }
}
