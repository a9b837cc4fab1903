import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { takeToken, type BucketTable } from './token-bucket.js';

/** One token bucket per tenant in `table`, shared by every API process. */
abstract class TenantBudget {
  protected constructor(
    private readonly dataSource: DataSource,
    private readonly table: BucketTable,
    private readonly limits: { burst: number; perSecond: number },
  ) {}

  /** Takes one token: 0 when taken, else the seconds to wait (Retry-After). */
  take(tenantId: string): Promise<number> {
    return takeToken(this.dataSource, this.table, tenantId, this.limits);
  }
}

/**
 * Heavy reads (log pages, NDJSON log reads and follows, usage exports): a tenant that reads in a loop
 * waits; other tenants' buckets are their own.
 */
@Injectable()
export class TenantReadBudget extends TenantBudget {
  constructor(@InjectDataSource() dataSource: DataSource, @Inject(BERTH_CONFIG) config: BerthConfig) {
    super(dataSource, 'tenant_read_budgets', {
      burst: config.heavyReadBurst,
      perSecond: config.heavyReadsPerMinute / 60,
    });
  }
}

/**
 * Changes that start or stop containers (start, stop, restart, scale, sleep on and off, env changes,
 * rollbacks, deploys, one-off runs, the balancer): each costs the hosts container creates and removals,
 * whatever the plan's replica count, so a tenant toggling one in a loop waits.
 */
@Injectable()
export class TenantChangeBudget extends TenantBudget {
  constructor(@InjectDataSource() dataSource: DataSource, @Inject(BERTH_CONFIG) config: BerthConfig) {
    super(dataSource, 'tenant_change_budgets', {
      burst: config.containerChangeBurst,
      perSecond: config.containerChangesPerMinute / 60,
    });
  }
}
