import { App } from '../apps/app.entity.js';
import { IdempotencyRecord } from '../apps/idempotency-record.entity.js';
import { Release } from '../apps/release.entity.js';
import { AuditEvent } from '../audit/audit-event.entity.js';
import { ApiKey } from '../identity/api-key.entity.js';
import { RefreshToken } from '../identity/refresh-token.entity.js';
import { Tenant } from '../identity/tenant.entity.js';
import { Invitation } from '../identity/invitation.entity.js';
import { User } from '../identity/user.entity.js';
import { Plan } from '../plans/plan.entity.js';
import { BuildLogLine } from '../builds/build-log-line.entity.js';
import { Build } from '../builds/build.entity.js';
import { Host } from '../hosts/host.entity.js';
import { ReplicaRun } from '../runtime/replica-run.entity.js';
import { Replica } from '../runtime/replica.entity.js';
import { UsageMeterState } from '../metering/usage-meter-state.entity.js';
import { UsageRecord } from '../metering/usage-record.entity.js';
import { TenantSubnet } from '../networks/tenant-subnet.entity.js';

/** Every entity of every domain; the DataSource and the "no pending migration" test share this list. */
export const ENTITIES = [
  Plan,
  Tenant,
  User,
  Invitation,
  RefreshToken,
  ApiKey,
  AuditEvent,
  Host,
  App,
  Release,
  Build,
  BuildLogLine,
  Replica,
  ReplicaRun,
  IdempotencyRecord,
  UsageRecord,
  UsageMeterState,
  TenantSubnet,
];
