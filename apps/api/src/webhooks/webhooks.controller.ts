import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
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
import type { Principal } from '../../../../libs/identity/index.js';
import { WebhooksService } from '../../../../libs/webhooks/index.js';
import { Authorize, CurrentPrincipal } from '../auth/authorization.js';
import {
  CreateWebhookRequest,
  DeliveriesPageView,
  DeliveriesQuery,
  WebhookView,
  WebhookWithSecretView,
} from './webhooks.dto.js';

@ApiTags('webhooks')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Authorize('webhooks:manage')
  @ApiOperation({
    summary: 'Register an endpoint for event types; the signing secret is in this answer only',
  })
  @ApiCreatedResponse({ type: WebhookWithSecretView })
  @ApiForbiddenResponse({ description: 'Over the per-tenant webhook limit (code quota_exceeded)' })
  @ApiUnprocessableEntityResponse({ description: 'Not an allowed URL (code invalid_webhook_url)' })
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() body: CreateWebhookRequest,
  ): Promise<WebhookWithSecretView> {
    return WebhookWithSecretView.withSecret(await this.webhooks.create(p, body));
  }

  @Get()
  @Authorize('webhooks:manage')
  @ApiOperation({ summary: "Your tenant's webhooks (secrets are never shown)" })
  @ApiOkResponse({ type: [WebhookView] })
  async list(@CurrentPrincipal() p: Principal): Promise<WebhookView[]> {
    return (await this.webhooks.list(p)).map((webhook) => WebhookView.from(webhook));
  }

  @Get(':id')
  @Authorize('webhooks:manage')
  @ApiOperation({ summary: 'One webhook' })
  @ApiOkResponse({ type: WebhookView })
  @ApiNotFoundResponse({ description: 'No such webhook in your tenant (code not_found)' })
  async get(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<WebhookView> {
    return WebhookView.from(await this.webhooks.get(p, id));
  }

  @Delete(':id')
  @Authorize('webhooks:manage')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a webhook and its deliveries (pending ones are not sent)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'No such webhook in your tenant (code not_found)' })
  async remove(@CurrentPrincipal() p: Principal, @Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.webhooks.remove(p, id);
  }

  @Post(':id/rotate-secret')
  @Authorize('webhooks:manage')
  @HttpCode(200)
  @ApiOperation({
    summary: 'A new signing secret, shown once; the previous one keeps signing too for the overlap (24 h)',
  })
  @ApiOkResponse({ type: WebhookWithSecretView })
  @ApiNotFoundResponse({ description: 'No such webhook in your tenant (code not_found)' })
  async rotateSecret(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<WebhookWithSecretView> {
    return WebhookWithSecretView.withSecret(await this.webhooks.rotateSecret(p, id));
  }

  @Get(':id/deliveries')
  @Authorize('webhooks:manage')
  @ApiOperation({ summary: "The webhook's deliveries, newest first, each with its attempts" })
  @ApiOkResponse({ type: DeliveriesPageView })
  @ApiNotFoundResponse({ description: 'No such webhook in your tenant (code not_found)' })
  async deliveries(
    @CurrentPrincipal() p: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: DeliveriesQuery,
  ): Promise<DeliveriesPageView> {
    return DeliveriesPageView.from(await this.webhooks.deliveries(p, id, query));
  }
}
