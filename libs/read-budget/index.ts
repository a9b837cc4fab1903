// The public entry of libs/read-budget: the per-tenant budget of heavy reads.
export { ReadBudgetModule } from './read-budget.module.js';
export { secondsUntilToken, TenantReadBudget } from './tenant-read-budget.js';
