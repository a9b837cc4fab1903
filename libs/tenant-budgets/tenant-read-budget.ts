import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { takeToken } from './token-bucket.js';

/**
 * A token bucket per tenant for heavy reads (log pages, NDJSON log reads and follows, usage exports), kept
 * in PostgreSQL (`tenant_read_budgets`). A tenant that reads in a loop waits; other tenants' buckets are
 * their own.
 */
@Injectable()
export class TenantReadBudget {
  private readonly limits: { burst: number; perSecond: number };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(BERTH_CONFIG) config: BerthConfig,
  ) {
    this.limits = { burst: config.heavyReadBurst, perSecond: config.heavyReadsPerMinute / 60 };
  }

  /** Takes one token: 0 when taken, else the seconds to wait (Retry-After). */
  take(tenantId: string): Promise<number> {
    return takeToken(this.dataSource, 'tenant_read_budgets', tenantId, this.limits);
  }
}
