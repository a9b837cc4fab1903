// The public entry of libs/identity: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { ApiKey } from './api-key.entity.js';
export { ApiKeysService } from './api-keys.service.js';
export { AuthService, type TokenPair } from './auth.service.js';
export { DEFAULT_PLAN_READER, type DefaultPlanReader } from './default-plan.js';
export { IDENTITY_ENTITIES } from './entities.js';
export { IdentityModule } from './identity.module.js';
export { Invitation } from './invitation.entity.js';
export { OperatorBootstrap } from './operator-bootstrap.js';
export {
  actorOf,
  API_KEY_SCOPES,
  type Permission,
  PLATFORM_KEY_SCOPES,
  type Principal,
  type PrincipalAccount,
  tenantIdOf,
} from './permissions.js';
export { Tenant } from './tenant.entity.js';
export { type Role, ROLES, User } from './user.entity.js';
export { UsersService } from './users.service.js';
export { AddressLoginBackoff } from './login-backoff.js';
