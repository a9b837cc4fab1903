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
import { TenantChangeBudget } from '../../../../libs/tenant-budgets/index.js';

/**
 * Takes a token of the caller's tenant budget of container changes; none left is a 429 with Retry-After.
 * It runs after authentication and before validation and the change itself, so a refused call changes
 * nothing.
 */
@Injectable()
export class ContainerChangeGuard implements CanActivate {
  constructor(private readonly budget: TenantChangeBudget) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const principal = context.switchToHttp().getRequest<Request & { principal?: Principal }>().principal;
    if (!principal?.tenantId) return true;
    const wait = await this.budget.take(principal.tenantId);
    if (wait > 0) {
      throw problems.tooManyRequests(
        'change_budget_exhausted',
        'This tenant made too many changes that start or stop containers in a short time',
        wait,
      );
    }
    return true;
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
