import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DEFAULT_PLAN_READER } from '../identity/index.js';
import { DefaultPlanLookup } from './default-plan-lookup.js';
import { Plan } from './plan.entity.js';
import { PlansService } from './plans.service.js';
import { TenantPlanRepository } from './tenant-plan.repository.js';

/**
 * Global so identity receives DEFAULT_PLAN_READER (the port it defines) without importing plans. The
 * usage reader a downgrade is checked against (TENANT_USAGE_READER, defined here) comes from the global
 * AppsModule, so plans never imports apps either.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([Plan])],
  providers: [
    PlansService,
    TenantPlanRepository,
    { provide: DEFAULT_PLAN_READER, useClass: DefaultPlanLookup },
  ],
  exports: [PlansService, TenantPlanRepository, DEFAULT_PLAN_READER],
})
export class PlansModule {}
