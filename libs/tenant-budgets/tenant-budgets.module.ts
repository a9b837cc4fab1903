import { Module } from '@nestjs/common';
import { TenantChangeBudget, TenantReadBudget } from './tenant-budgets.js';

@Module({
  providers: [TenantReadBudget, TenantChangeBudget],
  exports: [TenantReadBudget, TenantChangeBudget],
})
export class TenantBudgetsModule {}
