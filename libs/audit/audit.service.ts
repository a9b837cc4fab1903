import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { AuditEvent } from './audit-event.entity.js';

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
        data: event.data ?? {},
      }),
    );
  }

  async listForTenant(tenantId: string, limit = 100): Promise<AuditEvent[]> {
    return this.events.find({ where: { tenantId }, order: { createdAt: 'DESC' }, take: limit });
  }
}
