import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { takeToken } from './token-bucket.js';

/**
 * A token bucket per tenant for the changes that start or stop containers (start, stop, restart, scale,
 * sleep on and off, env changes, rollbacks, deploys, one-off runs, the balancer), kept in PostgreSQL
 * (`tenant_change_budgets`). Each such change costs the hosts container creates and removals, whatever
 * the plan's replica count: a tenant toggling one in a loop waits, other tenants' buckets are their own.
 */
@Injectable()
export class TenantChangeBudget {
  private readonly limits: { burst: number; perSecond: number };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(BERTH_CONFIG) config: BerthConfig,
  ) {
    this.limits = { burst: config.containerChangeBurst, perSecond: config.containerChangesPerMinute / 60 };
  }

  /** Takes one token: 0 when taken, else the seconds to wait (Retry-After). */
  take(tenantId: string): Promise<number> {
    return takeToken(this.dataSource, 'tenant_change_budgets', tenantId, this.limits);
  }
}
