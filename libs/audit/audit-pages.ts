import type { AuditEvent } from './audit-event.entity.js';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;

export interface AuditPageFilter {
  /** One tenant's events; undefined: every tenant's and the platform's own (operators only). */
  tenantId?: string;
  /** The last `seq` of the previous page. */
  cursor?: string;
  /** An exact action (`app.create`) or a prefix ending in a dot (`app.`). */
  action?: string;
  /** `user:<id>`, `apikey:<id>` or `system`. */
  actor?: string;
  target?: string;
  since?: Date;
  until?: Date;
  limit?: number;
}

export interface AuditPage {
  items: AuditEvent[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** The SQL condition of one page: a pure function of the filter, so the rules are unit-tested. */
export function auditPageQuery(filter: AuditPageFilter): {
  where: string;
  parameters: Record<string, unknown>;
  limit: number;
} {
  const clauses: string[] = [];
  const parameters: Record<string, unknown> = {};
  if (filter.tenantId !== undefined) {
    clauses.push('e.tenant_id = :tenantId');
    parameters.tenantId = filter.tenantId;
  }
  if (filter.cursor !== undefined) {
    clauses.push('e.seq < :cursor');
    parameters.cursor = filter.cursor;
  }
  if (filter.action !== undefined) {
    if (filter.action.endsWith('.')) {
      clauses.push('e.action LIKE :actionPrefix');
      // Actions are [a-z_.]: no LIKE wildcard can reach the pattern, checked at the edge.
      parameters.actionPrefix = `${filter.action}%`;
    } else {
      clauses.push('e.action = :action');
      parameters.action = filter.action;
    }
  }
  if (filter.actor !== undefined) {
    clauses.push('e.actor = :actor');
    parameters.actor = filter.actor;
  }
  if (filter.target !== undefined) {
    clauses.push('e.target = :target');
    parameters.target = filter.target;
  }
  if (filter.since !== undefined) {
    clauses.push('e.created_at >= :since');
    parameters.since = filter.since;
  }
  if (filter.until !== undefined) {
    clauses.push('e.created_at < :until');
    parameters.until = filter.until;
  }
  const limit = Math.min(Math.max(filter.limit ?? AUDIT_PAGE_DEFAULT, 1), AUDIT_PAGE_MAX);
  return { where: clauses.length ? clauses.join(' AND ') : 'TRUE', parameters, limit };
}
