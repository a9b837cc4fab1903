import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';

/** Seconds until a bucket holding `tokens` (refilled at `perSecond`) holds one whole token again. */
export function secondsUntilToken(tokens: number, perSecond: number): number {
  return Math.max(1, Math.ceil((1 - tokens) / perSecond));
}

/**
 * A token bucket per tenant for heavy reads (log pages, NDJSON log reads and follows, usage exports), kept
 * in PostgreSQL (`tenant_read_budgets`) so the budget holds across API processes: one statement refills by
 * the time since the last take, caps at the burst, and takes a token only when one is there. A tenant that
 * reads in a loop waits; other tenants' buckets are their own.
 */
@Injectable()
export class TenantReadBudget {
  private readonly burst: number;
  private readonly perSecond: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(BERTH_CONFIG) config: BerthConfig,
  ) {
    this.burst = config.heavyReadBurst;
    this.perSecond = config.heavyReadsPerMinute / 60;
  }

  /** Takes one token: 0 when taken, else the seconds to wait (Retry-After). */
  async take(tenantId: string): Promise<number> {
    const [taken] = (await this.dataSource.query(
      `INSERT INTO tenant_read_budgets AS b (tenant_id, tokens, updated_at) VALUES ($1, $2 - 1, now())
       ON CONFLICT (tenant_id) DO UPDATE SET
         tokens = LEAST($2, b.tokens + EXTRACT(EPOCH FROM now() - b.updated_at) * $3) - 1,
         updated_at = now()
       WHERE LEAST($2, b.tokens + EXTRACT(EPOCH FROM now() - b.updated_at) * $3) >= 1
       RETURNING tokens`,
      [tenantId, this.burst, this.perSecond],
    )) as { tokens: number }[];
    if (taken) return 0;
    const [left] = (await this.dataSource.query(
      `SELECT LEAST($2, tokens + EXTRACT(EPOCH FROM now() - updated_at) * $3) AS tokens
         FROM tenant_read_budgets WHERE tenant_id = $1`,
      [tenantId, this.burst, this.perSecond],
    )) as { tokens: string }[];
    return secondsUntilToken(Number(left?.tokens ?? 0), this.perSecond);
  }
}
