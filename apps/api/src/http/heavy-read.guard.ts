import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Injectable,
  UseGuards,
} from '@nestjs/common';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import { problems } from '../../../../libs/errors/index.js';
import type { Principal } from '../../../../libs/identity/index.js';
import { TenantReadBudget } from '../../../../libs/tenant-budgets/index.js';

/** Takes a token of the caller's tenant budget of heavy reads; none left is a 429 with Retry-After. */
@Injectable()
export class HeavyReadGuard implements CanActivate {
  constructor(private readonly budget: TenantReadBudget) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const principal = context.switchToHttp().getRequest<Request & { principal?: Principal }>().principal;
    // Platform keys (billing jobs) have no tenant: their exports are the operator's to size.
    if (!principal?.tenantId) return true;
    const wait = await this.budget.take(principal.tenantId);
    if (wait > 0) {
      throw problems.tooManyRequests(
        'read_budget_exhausted',
        'This tenant made too many heavy reads (log pages, log reads, usage exports) in a short time',
        wait,
      );
    }
    return true;
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
