import { Module } from '@nestjs/common';
import { TenantReadBudget } from './tenant-read-budget.js';

@Module({ providers: [TenantReadBudget], exports: [TenantReadBudget] })
export class ReadBudgetModule {}
