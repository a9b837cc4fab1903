import { applyDecorators, Injectable, UseGuards } from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { TenantReadBudget } from '../../../../libs/tenant-budgets/index.js';
import { TenantBudgetGuard } from './tenant-budget.guard.js';

/** Takes a token of the caller's tenant budget of heavy reads. */
@Injectable()
export class HeavyReadGuard extends TenantBudgetGuard {
  constructor(budget: TenantReadBudget) {
    super(budget, {
      code: 'read_budget_exhausted',
      detail: 'This tenant made too many heavy reads (log pages, log reads, usage exports) in a short time',
    });
  }
}

/** A read that costs the API and the hosts real work, bounded per tenant (BERTH_HEAVY_READ_BURST, …_PER_MINUTE). */
export const HeavyRead = (): MethodDecorator & ClassDecorator =>
  applyDecorators(
    UseGuards(HeavyReadGuard),
    ApiTooManyRequestsResponse({
      description:
        'The tenant’s heavy read budget is spent (problem+json, code read_budget_exhausted, Retry-After)',
    }),
  );
