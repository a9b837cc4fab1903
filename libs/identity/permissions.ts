import { problems } from '../errors/index.js';
import type { Tenant } from './tenant.entity.js';
import type { Role, User } from './user.entity.js';

/** What a caller may do. Users get them from their role; API keys from the scopes chosen at creation. */
export const PERMISSIONS = [
  'apps:read',
  'apps:write',
  'logs:read',
  'usage:read',
  'users:manage',
  'keys:manage',
  'plan:manage',
  'audit:read',
  'webhooks:manage',
  'metrics:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Scopes an API key may carry: keys drive apps and read usage, they never manage people or billing. */
export const API_KEY_SCOPES = ['apps:read', 'apps:write', 'logs:read', 'usage:read'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
/**
 * Platform keys (operator-made, no tenant) exist for billing jobs reading every tenant's usage and for a
 * Prometheus server scraping the platform's metrics (a login token lasts 15 minutes: no scrape credential).
 */
export const PLATFORM_KEY_SCOPES = ['usage:read', 'metrics:read'] as const;

const MEMBER: Permission[] = ['apps:read', 'apps:write', 'logs:read', 'usage:read'];
export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set<Permission>([
    ...MEMBER,
    'users:manage',
    'keys:manage',
    'plan:manage',
    'audit:read',
    'webhooks:manage',
  ]),
  admin: new Set<Permission>([...MEMBER, 'users:manage', 'keys:manage', 'audit:read', 'webhooks:manage']),
  member: new Set<Permission>(MEMBER),
};

/** The authenticated caller of a request. */
export interface Principal {
  kind: 'user' | 'apikey';
  /** User id or API key id. */
  id: string;
  /** Null only for platform API keys. */
  tenantId: string | null;
  role?: Role;
  /** Operators (users) and platform keys may reach /v1/admin routes their permissions allow. */
  platform: boolean;
  operator: boolean;
  permissions: ReadonlySet<Permission>;
  /**
   * The caller's tenant (and user) as authentication read them, in the same statement: GET /v1/me answers
   * from it. Cached with the principal and as fresh: migration PrincipalAccountChanges makes a change to
   * any of these columns notify like a change of role or standing. Absent for platform keys.
   */
  account?: PrincipalAccount;
}

/** What GET /v1/me shows of the caller's rows. Shared by every request of a cached principal: read only. */
export interface PrincipalAccount {
  readonly tenant: Readonly<Pick<Tenant, 'id' | 'name' | 'planId' | 'status' | 'kind' | 'createdAt'>>;
  /** Null for an API key. */
  readonly user: Readonly<
    Pick<User, 'id' | 'tenantId' | 'email' | 'role' | 'isOperator' | 'createdAt'>
  > | null;
}

export function actorOf(principal: Principal): string {
  return `${principal.kind === 'user' ? 'user' : 'apikey'}:${principal.id}`;
}

/** The caller's tenant; platform keys have none and may not reach tenant resources. */
export function tenantIdOf(principal: Principal): string {
  if (!principal.tenantId) throw problems.forbidden('Platform keys have no tenant');
  return principal.tenantId;
}
