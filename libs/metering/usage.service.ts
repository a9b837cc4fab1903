import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppsRepository } from '../apps/index.js';
import { problems } from '../errors/index.js';
import type { Principal } from '../identity/index.js';
import type { UsageRecord } from './usage-record.entity.js';
import type { UsageKind } from './usage-windows.js';

/** `tenant`: the caller's own tenant (app by name). `platform`: every tenant (tenant and app by id). */
export type UsageScope = 'tenant' | 'platform';

export interface UsageFilterInput {
  /** Tenant id; platform scope only. */
  tenant?: string;
  /** App name in tenant scope, app id in platform scope. */
  app?: string;
  kind?: UsageKind;
  /** ISO 8601; records whose window starts at or after it. */
  from?: string;
  /** ISO 8601; records whose window starts before it. */
  to?: string;
}

export interface UsagePageInput extends UsageFilterInput {
  limit?: number;
  cursor?: string;
}

export interface UsagePage {
  records: UsageRecord[];
  /** Where the next page starts: after the last record returned (or the given cursor if none). */
  nextCursor: string | null;
  /** True when more records match right now. New ones may come later: keep nextCursor. */
  hasMore: boolean;
}

export interface UsageExport {
  /** Resumes after everything `batches` yields (and after every older record). */
  nextCursor: string | null;
  batches: AsyncIterable<UsageRecord[]>;
}

export interface UsageSums {
  records: number;
  /** Exact decimal strings. */
  seconds: string;
  mbSeconds: string;
  cpuSeconds: string;
  /** Bytes through the edge router (egress records), decimal strings. */
  bytesIn: string;
  bytesOut: string;
}

export interface TenantUsageTotals extends UsageSums {
  tenantId: string;
  kinds: (UsageSums & { kind: UsageKind })[];
}

export interface UsageTotals {
  tenants: TenantUsageTotals[];
  /** The totals cover exactly the matching records up to this cursor. */
  throughCursor: string | null;
}

interface ResolvedFilter {
  tenantId?: string;
  appId?: string;
  kind?: UsageKind;
  from?: Date;
  to?: Date;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
const EXPORT_BATCH = 1000;
const MAX_ID = 9_223_372_036_854_775_807n;

const RECORD_COLUMNS = `id, tenant_id AS "tenantId", app_id AS "appId", subject_id AS "subjectId", kind,
  window_start AS "windowStart", window_end AS "windowEnd", seconds, memory_mb AS "memoryMb",
  cpu_millis AS "cpuMillis", plan_id AS "planId", bytes_in AS "bytesIn", bytes_out AS "bytesOut",
  created_at AS "createdAt"`;

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** The id a cursor stands for; anything that is not a cursor we issued is a 400, never a 500. */
export function decodeCursor(cursor: string | undefined): string {
  if (cursor === undefined) return '0';
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!/^(0|[1-9]\d{0,18})$/.test(id) || BigInt(id) > MAX_ID || encodeCursor(id) !== cursor) {
    throw problems.badRequest('invalid_cursor', 'cursor is not a cursor this API returned');
  }
  return id;
}

/**
 * Billing reads of usage records: cursor pages, CSV export, totals.
 *
 * Why paging by id sees every record exactly once, even while the meter writes: the meter is the only
 * writer, and it inserts under `LOCK TABLE usage_records IN EXCLUSIVE MODE` (usage-meter.ts), so
 * transactions that insert records run one after the other, and ids (one sequence, no cache) grow in
 * that order. PostgreSQL makes a committed transaction visible *before* it releases its locks (xact.c:
 * ProcArrayEndTransaction runs before the locks are released). So when a reader's snapshot shows a
 * record with id x, every transaction that took ids below x had already committed (visible) or aborted
 * (its ids never appear) before the one holding x even got the lock: no record with an id below x
 * can show up later. A page `id > cursor ORDER BY id LIMIT n` therefore never skips a record that commits
 * afterwards, and records committed afterwards all have larger ids, so the next page finds them once.
 * Records are never updated or deleted, so the filters (tenant, app, kind, window range) give the same
 * answer for a record whenever it is read.
 */
@Injectable()
export class UsageService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly appRows: AppsRepository,
  ) {}

  async page(principal: Principal, scope: UsageScope, input: UsagePageInput): Promise<UsagePage> {
    const filter = await this.resolve(principal, scope, input);
    const after = decodeCursor(input.cursor);
    const limit = input.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw problems.badRequest('invalid_limit', `limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    const params: unknown[] = [];
    const where = conditions(filter, params);
    params.push(after, limit + 1);
    const rows: UsageRecord[] = await this.dataSource.query(
      `SELECT ${RECORD_COLUMNS} FROM usage_records
        WHERE ${where} AND id > $${params.length - 1} ORDER BY id LIMIT $${params.length}`,
      params,
    );
    const records = rows.slice(0, limit);
    const last = records.at(-1);
    return {
      records,
      nextCursor: last ? encodeCursor(last.id) : (input.cursor ?? null),
      hasMore: rows.length > limit,
    };
  }

  /**
   * Every matching record after the cursor, up to the `limit`-th one (all of them without a limit), read
   * in batches. The end is fixed before the first batch, so the export ends even while the meter writes
   * and `nextCursor` can be sent ahead of the rows (as a header).
   */
  async export(principal: Principal, scope: UsageScope, input: UsagePageInput): Promise<UsageExport> {
    const filter = await this.resolve(principal, scope, input);
    const after = decodeCursor(input.cursor);
    if (input.limit !== undefined && (!Number.isInteger(input.limit) || input.limit < 1)) {
      throw problems.badRequest('invalid_limit', 'limit must be a positive integer');
    }
    let upper = await this.newestId();
    if (input.limit !== undefined) {
      const params: unknown[] = [];
      const where = conditions(filter, params);
      params.push(after, input.limit - 1);
      const [nth]: { id: string }[] = await this.dataSource.query(
        `SELECT id FROM usage_records WHERE ${where} AND id > $${params.length - 1}
          ORDER BY id OFFSET $${params.length} LIMIT 1`,
        params,
      );
      if (nth) upper = nth.id;
    }
    if (BigInt(upper) < BigInt(after)) upper = after;
    return {
      nextCursor: upper === '0' ? (input.cursor ?? null) : encodeCursor(upper),
      batches: this.batches(filter, after, upper),
    };
  }

  /** Sums per tenant and kind: seconds, MB-seconds (seconds × memory MB), CPU-seconds (× CPU millis / 1000). */
  async totals(principal: Principal, scope: UsageScope, input: UsageFilterInput): Promise<UsageTotals> {
    const filter = await this.resolve(principal, scope, input);
    const through = await this.newestId();
    const params: unknown[] = [];
    const where = conditions(filter, params);
    params.push(through);
    const rows: (UsageSums & { tenantId: string; kind: UsageKind | null })[] = await this.dataSource.query(
      `SELECT tenant_id AS "tenantId", kind, count(*)::int AS records,
              sum(seconds)::text AS seconds,
              sum(seconds * memory_mb)::text AS "mbSeconds",
              round(sum(seconds * cpu_millis) / 1000, 6)::text AS "cpuSeconds",
              sum(bytes_in)::text AS "bytesIn", sum(bytes_out)::text AS "bytesOut"
         FROM usage_records
        WHERE ${where} AND id <= $${params.length}
        GROUP BY GROUPING SETS ((tenant_id, kind), (tenant_id))
        ORDER BY tenant_id, kind NULLS FIRST`,
      params,
    );
    const tenants: TenantUsageTotals[] = [];
    for (const { tenantId, kind, ...sums } of rows) {
      if (kind === null) tenants.push({ tenantId, ...sums, kinds: [] });
      else tenants.at(-1)!.kinds.push({ kind, ...sums });
    }
    return { tenants, throughCursor: through === '0' ? null : encodeCursor(through) };
  }

  /** Checks the caller first: a tenant reads only its own records; the platform scope needs a platform caller. */
  private async resolve(
    principal: Principal,
    scope: UsageScope,
    input: UsageFilterInput,
  ): Promise<ResolvedFilter> {
    const range = { kind: input.kind, ...timeRange(input) };
    if (scope === 'platform') {
      if (!principal.platform) throw problems.notFound('route');
      return { tenantId: input.tenant, appId: input.app, ...range };
    }
    const tenantId = principal.tenantId;
    if (!tenantId) throw problems.forbidden('Platform keys read usage at /v1/admin/usage');
    if (input.tenant !== undefined)
      throw problems.badRequest('invalid_filter', 'tenant is a platform filter');
    if (input.app === undefined) return { tenantId, ...range };
    const app = await this.appRows.findAnyOfTenant(tenantId, input.app);
    if (!app) throw problems.notFound('app', input.app);
    return { tenantId, appId: app.id, ...range };
  }

  private async newestId(): Promise<string> {
    const [row]: { id: string }[] = await this.dataSource.query(
      `SELECT coalesce(max(id), 0)::text AS id FROM usage_records`,
    );
    return row.id;
  }

  private async *batches(
    filter: ResolvedFilter,
    after: string,
    upper: string,
  ): AsyncGenerator<UsageRecord[]> {
    let last = after;
    for (;;) {
      const params: unknown[] = [];
      const where = conditions(filter, params);
      params.push(last, upper, EXPORT_BATCH);
      const rows: UsageRecord[] = await this.dataSource.query(
        `SELECT ${RECORD_COLUMNS} FROM usage_records
          WHERE ${where} AND id > $${params.length - 2} AND id <= $${params.length - 1}
          ORDER BY id LIMIT $${params.length}`,
        params,
      );
      if (rows.length === 0) return;
      yield rows;
      last = rows.at(-1)!.id;
      if (rows.length < EXPORT_BATCH) return;
    }
  }
}

function parseInstant(name: 'from' | 'to', value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw problems.badRequest('invalid_date', `${name} must be an ISO 8601 timestamp`);
  }
  return date;
}

function timeRange(input: UsageFilterInput): { from?: Date; to?: Date } {
  const from = parseInstant('from', input.from);
  const to = parseInstant('to', input.to);
  if (from && to && from > to) throw problems.badRequest('invalid_range', 'from must not be after to');
  return { from, to };
}

/** SQL conditions for the filter; values go to `params` (never into the SQL text). */
function conditions(filter: ResolvedFilter, params: unknown[]): string {
  const clauses: string[] = ['TRUE'];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    clauses.push(sql.replace('?', `$${params.length}`));
  };
  if (filter.tenantId !== undefined) add('tenant_id = ?', filter.tenantId);
  if (filter.appId !== undefined) add('app_id = ?', filter.appId);
  if (filter.kind !== undefined) add('kind = ?', filter.kind);
  if (filter.from !== undefined) add('window_start >= ?', filter.from.toISOString());
  if (filter.to !== undefined) add('window_start < ?', filter.to.toISOString());
  return clauses.join(' AND ');
}
