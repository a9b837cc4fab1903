import { AuditEvent } from '../audit/audit-event.entity.js';
import { ApiKey } from '../identity/api-key.entity.js';
import { RefreshToken } from '../identity/refresh-token.entity.js';
import { Tenant } from '../identity/tenant.entity.js';
import { Invitation } from '../identity/invitation.entity.js';
import { User } from '../identity/user.entity.js';
import { Plan } from '../plans/plan.entity.js';

/** Every entity of every domain; the DataSource and the "no pending migration" test share this list. */
export const ENTITIES = [Plan, Tenant, User, Invitation, RefreshToken, ApiKey, AuditEvent];
