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
