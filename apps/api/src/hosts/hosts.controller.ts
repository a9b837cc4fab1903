import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { HostsService } from '../../../../libs/hosts/index.js';
import { HostRemoval } from '../../../../libs/runtime/index.js';
import type { Principal } from '../../../../libs/identity/index.js';
import { CurrentPrincipal, OperatorOnly } from '../auth/authorization.js';
import { HostView, RegisterHostRequest } from './hosts.dto.js';

const NOT_FOUND = {
  description: 'No such host (problem+json, code not_found); also what tenants get for every route here',
};

@ApiTags('admin')
@Controller('v1/admin/hosts')
export class HostsController {
  constructor(
    private readonly hosts: HostsService,
    private readonly removal: HostRemoval,
  ) {}

  @Post()
  @OperatorOnly()
  @ApiOperation({
    summary: 'Register a Docker host: the engine is probed (ping + info) first and must answer',
    description:
      'CPUs, memory and engine version come from the probe. TLS material is stored encrypted and never returned.',
  })
  @ApiCreatedResponse({ type: HostView })
  @ApiBadRequestResponse({ description: 'Malformed request (problem+json, code validation_failed)' })
  @ApiConflictResponse({ description: 'The name or the endpoint is already registered (code host_exists)' })
  @ApiUnprocessableEntityResponse({
    description:
      'The engine did not answer (code host_unreachable, endpoint and error named); invalid_endpoint; ' +
      'tls_requires_tcp (tls given for a unix socket); tls_required (plain tcp beyond loopback); ' +
      'public_address_required (tcp without publicAddress)',
  })
  async register(
    @CurrentPrincipal() principal: Principal,
    @Body() body: RegisterHostRequest,
  ): Promise<HostView> {
    return HostView.from(await this.hosts.register(principal, body));
  }

  @Get()
  @OperatorOnly()
  @ApiOperation({ summary: 'Every host of the pool, by name, with status and last heartbeat' })
  @ApiOkResponse({ type: HostView, isArray: true })
  @ApiNotFoundResponse(NOT_FOUND)
  async list(@CurrentPrincipal() principal: Principal): Promise<HostView[]> {
    return (await this.hosts.list(principal)).map(HostView.from);
  }

  @Get(':id')
  @OperatorOnly()
  @ApiOperation({ summary: 'One host' })
  @ApiOkResponse({ type: HostView })
  @ApiNotFoundResponse(NOT_FOUND)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<HostView> {
    return HostView.from(await this.hosts.get(principal, id));
  }

  @Post(':id/cordon')
  @OperatorOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Cordon a host: no new replicas or builds go there; running ones stay' })
  @ApiOkResponse({ type: HostView })
  @ApiNotFoundResponse(NOT_FOUND)
  async cordon(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<HostView> {
    return HostView.from(await this.hosts.cordon(principal, id));
  }

  @Post(':id/uncordon')
  @OperatorOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Put a cordoned or draining host back into service (ready unless it is down)' })
  @ApiOkResponse({ type: HostView })
  @ApiNotFoundResponse(NOT_FOUND)
  async uncordon(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<HostView> {
    return HostView.from(await this.hosts.uncordon(principal, id));
  }

  @Post(':id/drain')
  @OperatorOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Drain a host: no new work, and its replicas are moved to other hosts' })
  @ApiOkResponse({ type: HostView })
  @ApiNotFoundResponse(NOT_FOUND)
  async drain(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<HostView> {
    return HostView.from(await this.hosts.drain(principal, id));
  }

  @Delete(':id')
  @OperatorOnly()
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an empty host from the pool' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiNotFoundResponse(NOT_FOUND)
  @ApiConflictResponse({
    description:
      'Replicas (any state but gone) are still on the host (code host_not_empty, count in `replicas`)',
  })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.removal.remove(principal, id);
  }
}
