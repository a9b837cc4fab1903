// The public entry of libs/db: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { createDataSource } from './data-source.js';
export { locateDatabase } from './database-location.js';
export { DatabaseModule } from './database.module.js';
export { type EmbeddedDatabase, startEmbeddedDatabase } from './embedded-database.js';
export { isUniqueViolation } from './unique-violation.js';
export { LEGACY_EMBEDDED_PASSWORD } from './embedded-database.js';
export { runMigrationsExclusively } from './migrate.js';
export { NotificationChannel } from './notification-channel.js';
export { countQueries, statementsSent } from './query-counter.js';
export { LOCK_CLASSES } from './advisory-locks.js';
export { EntityColumns } from './entity-columns.js';
export { arrayLiteral } from './array-literal.js';
