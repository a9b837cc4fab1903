import { AuditEvent } from './audit-event.entity.js';

/** The audit domain's TypeORM entities; the platform lib assembles every domain's list into the DataSource. */
export const AUDIT_ENTITIES = [AuditEvent];
