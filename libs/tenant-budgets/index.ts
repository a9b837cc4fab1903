// The public entry of libs/tenant-budgets: per-tenant token buckets (heavy reads, container changes).
export { TenantBudgetsModule } from './tenant-budgets.module.js';
export { TenantChangeBudget, TenantReadBudget } from './tenant-budgets.js';
export { secondsUntilToken } from './token-bucket.js';
