import { Module } from '@nestjs/common';
import { TenantChangeBudget } from './tenant-change-budget.js';
import { TenantReadBudget } from './tenant-read-budget.js';

@Module({
  providers: [TenantReadBudget, TenantChangeBudget],
  exports: [TenantReadBudget, TenantChangeBudget],
})
export class TenantBudgetsModule {}
