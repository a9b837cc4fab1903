import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Permission, Principal } from '../../../../libs/identity/index.js';

export const AUTHORIZATION_KEY = 'berth:authorization';

export type AuthorizationRule =
  { public: true } | { public: false; permission?: Permission; platform?: boolean; operatorOnly?: boolean };

/** No credentials needed. Every route must say either this or what it requires (the guard denies otherwise). */
export const Public = () => SetMetadata(AUTHORIZATION_KEY, { public: true } satisfies AuthorizationRule);

const documented = (rule: AuthorizationRule) =>
  applyDecorators(
    SetMetadata(AUTHORIZATION_KEY, rule),
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      description: 'Missing or invalid credentials (problem+json, code unauthorized)',
    }),
    ApiForbiddenResponse({ description: 'Role or scope does not allow this (problem+json, code forbidden)' }),
  );

/** Any authenticated tenant principal holding `permission` (a role's or an API key's scope). */
export const Authorize = (permission?: Permission) => documented({ public: false, permission });

/** Platform operators only (users with the operator flag). */
export const OperatorOnly = () => documented({ public: false, platform: true, operatorOnly: true });

/** Operators, or platform API keys holding `permission` (e.g. billing jobs with usage:read). */
export const PlatformAuthorize = (permission: Permission) =>
  documented({ public: false, platform: true, permission });

export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    return context.switchToHttp().getRequest<{ principal: Principal }>().principal;
  },
);
