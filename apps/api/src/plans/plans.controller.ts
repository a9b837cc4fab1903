import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Principal } from '../../../../libs/identity/index.js';
import { PlansService } from '../../../../libs/plans/index.js';
import { NameParamPipe } from '../http/name-param.pipe.js';
import { Authorize, CurrentPrincipal, OperatorOnly, Public } from '../auth/authorization.js';
import { TenantView } from '../identity/identity.dto.js';
import {
  CreatePlanRequest,
  PLAN_ID_PATTERN,
  PlanView,
  SwitchPlanRequest,
  UpdatePlanRequest,
} from './plans.dto.js';

@ApiTags('plans')
@Controller('v1')
export class PlansController {
  constructor(private readonly plans: PlansService) {}

  @Get('plans')
  @Public()
  @ApiOperation({ summary: 'The plans on offer, smallest first' })
  @ApiOkResponse({ type: PlanView, isArray: true })
  async list(): Promise<PlanView[]> {
    return (await this.plans.listOffered()).map(PlanView.from);
  }

  @Get('plans/:id')
  @Public()
  @ApiOperation({ summary: 'One plan' })
  @ApiOkResponse({ type: PlanView })
  @ApiNotFoundResponse({ description: 'No such plan' })
  async get(@Param('id', new NameParamPipe(PLAN_ID_PATTERN, 'plan')) id: string): Promise<PlanView> {
    return PlanView.from(await this.plans.get(id));
  }

  @Put('tenant/plan')
  @Authorize('plan:manage')
  @ApiOperation({
    summary: "Switch the tenant's plan (owners); a downgrade current use does not fit is refused",
  })
  @ApiOkResponse({ type: TenantView })
  @ApiConflictResponse({
    description: 'Current use does not fit the plan (code plan_does_not_fit, limits named)',
  })
  async switchPlan(
    @CurrentPrincipal() principal: Principal,
    @Body() body: SwitchPlanRequest,
  ): Promise<TenantView> {
    return TenantView.from(await this.plans.switchPlan(principal, body.planId));
  }
}

@ApiTags('admin')
@Controller('v1/admin/plans')
export class AdminPlansController {
  constructor(private readonly plans: PlansService) {}

  @Get()
  @OperatorOnly()
  @ApiOperation({ summary: 'Every plan, retired ones included' })
  @ApiOkResponse({ type: PlanView, isArray: true })
  async list(): Promise<PlanView[]> {
    return (await this.plans.listAll()).map(PlanView.from);
  }

  @Post()
  @OperatorOnly()
  @ApiOperation({ summary: 'Create a plan' })
  @ApiCreatedResponse({ type: PlanView })
  @ApiConflictResponse({ description: 'The id is taken (code plan_exists)' })
  async create(@CurrentPrincipal() principal: Principal, @Body() body: CreatePlanRequest): Promise<PlanView> {
    return PlanView.from(await this.plans.create(principal, body));
  }

  @Patch(':id')
  @OperatorOnly()
  @ApiOperation({ summary: "Change a plan's limits" })
  @ApiOkResponse({ type: PlanView })
  async update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new NameParamPipe(PLAN_ID_PATTERN, 'plan')) id: string,
    @Body() body: UpdatePlanRequest,
  ): Promise<PlanView> {
    return PlanView.from(await this.plans.update(principal, id, body));
  }

  @Post(':id/retire')
  @OperatorOnly()
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop offering a plan; tenants on it keep it' })
  @ApiOkResponse({ type: PlanView })
  async retire(
    @CurrentPrincipal() principal: Principal,
    @Param('id', new NameParamPipe(PLAN_ID_PATTERN, 'plan')) id: string,
  ): Promise<PlanView> {
    return PlanView.from(await this.plans.retire(principal, id));
  }
}
