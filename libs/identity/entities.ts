import { ApiKey } from './api-key.entity.js';
import { Invitation } from './invitation.entity.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';

/** The identity domain's TypeORM entities; the platform lib assembles every domain's list into the DataSource. */
export const IDENTITY_ENTITIES = [Tenant, User, Invitation, RefreshToken, ApiKey];
