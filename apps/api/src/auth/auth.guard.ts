import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { problems } from '../../../../libs/errors/index.js';
import { AuthService, type Principal } from '../../../../libs/identity/index.js';
import { AppListCache } from '../../../../libs/runtime/index.js';
import { AUTHORIZATION_KEY, type AuthorizationRule } from './authorization.js';

/** Methods that may change what a tenant's app list shows. */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function bearerOf(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Global guard: authenticates the bearer (JWT or API key) and checks the route's rule. A route without a
 * rule is denied, so forgetting the decorator fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly appList: AppListCache,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const rule = this.reflector.getAllAndOverride<AuthorizationRule | undefined>(AUTHORIZATION_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    // A public route (/healthz, /readyz, login) answers without an async step of the guard's own.
    if (rule?.public) return true;
    return this.authorize(context, rule);
  }

  private async authorize(
    context: ExecutionContext,
    rule: Exclude<AuthorizationRule, { public: true }> | undefined,
  ): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const bearer = bearerOf(request.headers.authorization);
    const principal = bearer ? await this.auth.authenticate(bearer) : undefined;
    if (!principal) throw problems.unauthorized();
    request.principal = principal;
    if (!rule) throw problems.forbidden('This route has no authorization rule');
    if (rule.platform) {
      if (!principal.platform) throw problems.notFound('route');
      if (rule.operatorOnly && !principal.operator) throw problems.forbidden('Operators only');
      if (rule.permission && !principal.operator && !principal.permissions.has(rule.permission)) {
        throw problems.forbidden(`This needs the '${rule.permission}' scope`);
      }
      return true;
    }
    if (!principal.tenantId) throw problems.forbidden('Platform keys cannot act on tenant resources');
    if (rule.permission && !principal.permissions.has(rule.permission)) {
      throw problems.forbidden(`This needs the '${rule.permission}' permission`);
    }
    if (WRITE_METHODS.has(request.method)) {
      // The change's notification may come back after the caller's next read: until this response is
      // over, the tenant's app list is read from the database (AppListCache.fence).
      context.switchToHttp().getResponse<Response>().once('close', this.appList.fence(principal.tenantId));
    }
    return true;
  }
}
