// The public entry of libs/tenant-budgets: per-tenant token buckets (heavy reads, container changes).
export { TenantBudgetsModule } from './tenant-budgets.module.js';
export { TenantChangeBudget } from './tenant-change-budget.js';
export { TenantReadBudget } from './tenant-read-budget.js';
export { secondsUntilToken } from './token-bucket.js';
