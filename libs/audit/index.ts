// The public entry of libs/audit: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { AuditModule } from './audit.module.js';
export { AuditService } from './audit.service.js';
export { AUDIT_ENTITIES } from './entities.js';
