import type { CanActivate, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { problems } from '../../../../libs/errors/index.js';
import type { Principal } from '../../../../libs/identity/index.js';

/**
 * Takes a token of the caller's tenant budget; none left is a 429 problem+json with Retry-After. Guards run
 * after authentication and before validation and the handler, so a refused call changes nothing. Platform
 * keys (billing jobs) have no tenant: what they do is the operator's to size.
 */
export abstract class TenantBudgetGuard implements CanActivate {
  protected constructor(
    private readonly budget: { take(tenantId: string): Promise<number> },
    private readonly refusal: { code: string; detail: string },
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const principal = context.switchToHttp().getRequest<Request & { principal?: Principal }>().principal;
    if (!principal?.tenantId) return true;
    const wait = await this.budget.take(principal.tenantId);
    if (wait > 0) throw problems.tooManyRequests(this.refusal.code, this.refusal.detail, wait);
    return true;
  }
}
