// The public entry of libs/audit: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { currentAuditContext, runWithAuditContext } from './audit-context.js';
export type { AuditEvent } from './audit-event.entity.js';
export { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, type AuditPage, type AuditPageFilter } from './audit-pages.js';
export { AuditModule } from './audit.module.js';
export { AuditService } from './audit.service.js';
export { AUDIT_ENTITIES } from './entities.js';
