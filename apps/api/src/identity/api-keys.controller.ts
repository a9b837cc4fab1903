import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiKeysService, type Principal } from '../../../../libs/identity/index.js';
import { Authorize, CurrentPrincipal, OperatorOnly } from '../auth/authorization.js';
import {
  ApiKeyView,
  CreateApiKeyRequest,
  CreatedApiKeyView,
  CreatePlatformApiKeyRequest,
} from './identity.dto.js';

@ApiTags('api-keys')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @Authorize('keys:manage')
  @ApiOperation({ summary: 'Create an API key for scripts; the secret is returned once' })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateApiKeyRequest,
  ): Promise<CreatedApiKeyView> {
    return CreatedApiKeyView.fromCreated(await this.keys.create(principal, body));
  }

  @Get()
  @Authorize('keys:manage')
  @ApiOperation({ summary: "List the tenant's API keys (never their secrets)" })
  @ApiOkResponse({ type: ApiKeyView, isArray: true })
  async list(@CurrentPrincipal() principal: Principal): Promise<ApiKeyView[]> {
    return (await this.keys.list(principal)).map(ApiKeyView.from);
  }

  @Delete(':id')
  @Authorize('keys:manage')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key; it stops working at once' })
  @ApiNotFoundResponse({ description: 'No such key in this tenant' })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.keys.revoke(principal, id);
  }
}

@ApiTags('admin')
@Controller('v1/admin/api-keys')
export class PlatformApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @OperatorOnly()
  @ApiOperation({
    summary: 'Create a platform API key (e.g. usage:read for billing jobs); secret returned once',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreatePlatformApiKeyRequest,
  ): Promise<CreatedApiKeyView> {
    return CreatedApiKeyView.fromCreated(await this.keys.create(principal, { ...body, platform: true }));
  }

  @Get()
  @OperatorOnly()
  @ApiOperation({ summary: 'List platform API keys' })
  @ApiOkResponse({ type: ApiKeyView, isArray: true })
  async list(@CurrentPrincipal() principal: Principal): Promise<ApiKeyView[]> {
    return (await this.keys.list(principal, true)).map(ApiKeyView.from);
  }

  @Delete(':id')
  @OperatorOnly()
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a platform API key' })
  async revoke(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.keys.revoke(principal, id, true);
  }
}
