import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { currentAuditContext } from './audit-context.js';
import { AuditEvent } from './audit-event.entity.js';
import { type AuditPage, type AuditPageFilter, auditPageQuery } from './audit-pages.js';

export interface AuditRecord {
  tenantId: string | null;
  actor: string;
  action: string;
  target?: string;
  data?: Record<string, unknown>;
}

/** Every mutation writes one event: who, what, on which resource. Never secrets in `data`. */
@Injectable()
export class AuditService {
  constructor(@InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>) {}

  /** Pass the transaction's manager so the event commits (or rolls back) with the change it describes. */
  async record(event: AuditRecord, manager?: EntityManager): Promise<void> {
    const repository = manager ? manager.getRepository(AuditEvent) : this.events;
    await repository.save(
      repository.create({
        tenantId: event.tenantId,
        actor: event.actor,
        action: event.action,
        target: event.target ?? null,
        address: currentAuditContext()?.address ?? null,
        data: event.data ?? {},
      }),
    );
  }

  /** Deletes at most `limit` audit events older than `days` days, oldest first; returns how many. */
  async deleteOlderThan(days: number, limit: number): Promise<number> {
    const [row] = (await this.events.query(
      `WITH doomed AS (
         SELECT id FROM audit_events WHERE created_at < now() - make_interval(days => $1)
          ORDER BY created_at LIMIT $2
       ), gone AS (DELETE FROM audit_events WHERE id IN (SELECT id FROM doomed) RETURNING 1)
       SELECT count(*)::int AS deleted FROM gone`,
      [days, limit],
    )) as { deleted: number }[];
    return row?.deleted ?? 0;
  }

  /** Newest first, one page after `filter.cursor`; `tenantId: undefined` reads every tenant (operators). */
  async page(filter: AuditPageFilter): Promise<AuditPage> {
    const { where, parameters, limit } = auditPageQuery(filter);
    const rows = await this.events
      .createQueryBuilder('e')
      .where(where, parameters)
      .orderBy('e.seq', 'DESC')
      .limit(limit + 1)
      .getMany();
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].seq : null };
  }
}
