import { applyDecorators, Injectable, UseGuards } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { TenantChangeBudget } from '../../../../libs/tenant-budgets/index.js';
import { TenantBudgetGuard } from './tenant-budget.guard.js';

/** Takes a token of the caller's tenant budget of changes that start or stop containers. */
@Injectable()
export class ContainerChangeGuard extends TenantBudgetGuard {
  constructor(budget: TenantChangeBudget) {
    super(budget, {
      code: 'change_budget_exhausted',
      detail: 'This tenant made too many changes that start or stop containers in a short time',
    });
  }
}

/**
 * A change that starts or stops containers on the hosts, bounded per tenant
 * (BERTH_CONTAINER_CHANGE_BURST, BERTH_CONTAINER_CHANGES_PER_MINUTE).
 */
export const ContainerChange = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    UseGuards(ContainerChangeGuard),
    ApiTooManyRequestsResponse({
      description:
        'The tenant’s budget of changes that start or stop containers is spent (problem+json, code change_budget_exhausted, Retry-After)',
    }),
  );
