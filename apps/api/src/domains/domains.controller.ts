import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
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
import { DomainsService } from '../../../../libs/ingress/index.js';
import { AppNameParam } from '../apps/app-name.param.js';
import { Authorize, CurrentPrincipal } from '../auth/authorization.js';
import { NameParamPipe } from '../http/name-param.pipe.js';
import {
  AddDomainRequest,
  DomainView,
  PutCertificateRequest,
  RequestCertificateRequest,
} from './domains.dto.js';

/** A DNS name (any case: the service compares lower-case); anything else names no domain, 404 at the edge. */
const HOSTNAME_PARAM_PATTERN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const HostnameParam = (): ParameterDecorator =>
  Param('hostname', new NameParamPipe(HOSTNAME_PARAM_PATTERN, 'domain'));

@ApiTags('domains')
@Controller('v1')
@ApiNotFoundResponse({ description: 'No such app (or domain) in your tenant (code not_found)' })
export class DomainsController {
  constructor(private readonly domains: DomainsService) {}

  @Get('apps/:app/domains')
  @Authorize('apps:read')
  @ApiOperation({ summary: "The app's custom domains, each with its status and DNS challenge" })
  @ApiOkResponse({ type: [DomainView] })
  async list(@CurrentPrincipal() p: Principal, @AppNameParam() app: string): Promise<DomainView[]> {
    return DomainView.list(await this.domains.list(p, app));
  }

  @Post('apps/:app/domains')
  @Authorize('apps:write')
  @ApiOperation({
    summary: 'Add a custom domain; it routes once verified (publish the TXT record it names, then verify)',
  })
  @ApiCreatedResponse({ type: DomainView })
  @ApiConflictResponse({
    description:
      'Already added (domain_exists), verified by another app (domain_taken), or an ACME certificate asked ' +
      'for with no ACME directory configured (acme_not_configured)',
  })
  @ApiForbiddenResponse({ description: 'Over the plan limit maxCustomDomains (code quota_exceeded)' })
  @ApiUnprocessableEntityResponse({ description: 'Not a hostname Berth routes (code invalid_hostname)' })
  async add(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @Body() body: AddDomainRequest,
  ): Promise<DomainView> {
    return DomainView.from(await this.domains.add(p, app, body.hostname, { acme: !!body.certificate }));
  }

  @Post('apps/:app/domains/:hostname/verify')
  @Authorize('apps:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Look the TXT record up now; the domain routes from the next router sync' })
  @ApiOkResponse({ type: DomainView })
  @ApiConflictResponse({ description: 'Verified by another app first (code domain_taken)' })
  @ApiUnprocessableEntityResponse({
    description: 'The record is missing or wrong (code domain_not_verified)',
  })
  async verify(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @HostnameParam() hostname: string,
  ): Promise<DomainView> {
    return DomainView.from(await this.domains.verify(p, app, hostname));
  }

  @Put('apps/:app/domains/:hostname/certificate')
  @Authorize('apps:write')
  @ApiOperation({ summary: 'Upload a certificate for the domain (served over HTTPS once it is verified)' })
  @ApiOkResponse({ type: DomainView })
  @ApiUnprocessableEntityResponse({
    description:
      'Does not parse, key does not match, does not cover the hostname, or expired (certificate_rejected)',
  })
  async putCertificate(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @HostnameParam() hostname: string,
    @Body() body: PutCertificateRequest,
  ): Promise<DomainView> {
    return DomainView.from(await this.domains.setCertificate(p, app, hostname, body));
  }

  @Post('apps/:app/domains/:hostname/certificate')
  @Authorize('apps:write')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Have the platform issue a certificate by ACME (HTTP-01 through the router), renewed before expiry; ' +
      'asked again, it renews now. Issued in the background once the domain is verified: see certificate.status',
  })
  @ApiAcceptedResponse({ type: DomainView })
  @ApiConflictResponse({ description: 'No ACME directory configured on this platform (acme_not_configured)' })
  async requestCertificate(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @HostnameParam() hostname: string,
    @Body() _body: RequestCertificateRequest,
  ): Promise<DomainView> {
    return DomainView.from(await this.domains.requestAcme(p, app, hostname));
  }

  @Delete('apps/:app/domains/:hostname')
  @Authorize('apps:write')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a custom domain (it stops routing at the next router sync)' })
  @ApiNoContentResponse()
  async remove(
    @CurrentPrincipal() p: Principal,
    @AppNameParam() app: string,
    @HostnameParam() hostname: string,
  ): Promise<void> {
    await this.domains.remove(p, app, hostname);
  }
}
