import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { Tenant } from '../identity/index.js';
import { Plan } from './plan.entity.js';

/**
 * The one lookup of the plan a tenant is on: quotas, releases (container size) and replica runs (the plan
 * a run is metered at) all read it here. A caller inside a transaction passes its manager, so the plan it
 * judges by is the one its transaction sees.
 */
@Injectable()
export class TenantPlanRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async planOf(tenantId: string, manager: EntityManager = this.dataSource.manager): Promise<Plan> {
    return manager.findOneOrFail(Plan, { where: { id: await this.planIdOf(tenantId, manager) } });
  }

  async planIdOf(tenantId: string, manager: EntityManager = this.dataSource.manager): Promise<string> {
    const tenant = await manager.findOneOrFail(Tenant, { where: { id: tenantId }, select: { planId: true } });
    return tenant.planId;
  }
}
