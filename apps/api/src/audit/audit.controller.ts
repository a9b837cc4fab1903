import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuditService } from '../../../../libs/audit/index.js';
import { tenantIdOf, type Principal } from '../../../../libs/identity/index.js';
import { Authorize, CurrentPrincipal, OperatorOnly } from '../auth/authorization.js';
import { AdminAuditEventsQuery, AuditEventsQuery, AuditPageView } from './audit.dto.js';

const BAD_FILTER = { description: 'Bad filter (problem+json, code validation_failed)' };

@ApiTags('audit')
@Controller('v1/audit-events')
@ApiBadRequestResponse(BAD_FILTER)
export class AuditEventsController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @Authorize('audit:read')
  @ApiOperation({
    summary: 'Who did what in your tenant, when, from which address, with which key; newest first',
  })
  @ApiOkResponse({ type: AuditPageView })
  async list(@CurrentPrincipal() p: Principal, @Query() query: AuditEventsQuery): Promise<AuditPageView> {
    return AuditPageView.from(await this.audit.page({ ...query.toFilter(), tenantId: tenantIdOf(p) }));
  }
}

@ApiTags('admin')
@Controller('v1/admin/audit-events')
@ApiBadRequestResponse(BAD_FILTER)
export class AdminAuditEventsController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @OperatorOnly()
  @ApiOperation({ summary: "Every tenant's audit events and the platform's own (operators); newest first" })
  @ApiOkResponse({ type: AuditPageView })
  async list(@Query() query: AdminAuditEventsQuery): Promise<AuditPageView> {
    return AuditPageView.from(await this.audit.page({ ...query.toFilter(), tenantId: query.tenant }));
  }
}
