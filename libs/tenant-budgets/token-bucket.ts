import type { DataSource } from 'typeorm';

/** Seconds until a bucket holding `tokens` (refilled at `perSecond`) holds one whole token again. */
export function secondsUntilToken(tokens: number, perSecond: number): number {
  return Math.max(1, Math.ceil((1 - tokens) / perSecond));
}

/** The tables holding a token bucket per tenant (tenant_id, tokens, updated_at). */
export type BucketTable = 'tenant_read_budgets' | 'tenant_change_budgets';

/**
 * Takes one token of the tenant's bucket in `table`: one statement refills by the time since the last
 * take, caps at `burst`, and takes a token only when one is there, so the budget holds across API
 * processes. Returns 0 when taken, else the seconds to wait (Retry-After).
 */
export async function takeToken(
  dataSource: DataSource,
  table: BucketTable,
  tenantId: string,
  limits: { burst: number; perSecond: number },
): Promise<number> {
  const parameters = [tenantId, limits.burst, limits.perSecond];
  const [taken] = (await dataSource.query(
    `INSERT INTO ${table} AS b (tenant_id, tokens, updated_at) VALUES ($1, $2 - 1, now())
     ON CONFLICT (tenant_id) DO UPDATE SET
       tokens = LEAST($2, b.tokens + EXTRACT(EPOCH FROM now() - b.updated_at) * $3) - 1,
       updated_at = now()
     WHERE LEAST($2, b.tokens + EXTRACT(EPOCH FROM now() - b.updated_at) * $3) >= 1
     RETURNING tokens`,
    parameters,
  )) as { tokens: number }[];
  if (taken) return 0;
  const [left] = (await dataSource.query(
    `SELECT LEAST($2, tokens + EXTRACT(EPOCH FROM now() - updated_at) * $3) AS tokens
       FROM ${table} WHERE tenant_id = $1`,
    parameters,
  )) as { tokens: string }[];
  return secondsUntilToken(Number(left?.tokens ?? 0), limits.perSecond);
}
