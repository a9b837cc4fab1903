import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import type { EventType } from './event-types.js';
import { TenantEvent } from './event.entity.js';

export const EVENTS_PAGE_DEFAULT = 100;
export const EVENTS_PAGE_MAX = 1000;

export interface EventsFilter {
  tenantId: string;
  appId?: string;
  /** Exact types, or prefixes ending in a dot (`build.`). */
  types?: string[];
  /** The `seq` of the last event already seen: the page holds the events after it, oldest first. */
  after?: string;
  limit?: number;
}

export interface EventsPage {
  events: TenantEvent[];
  /** Pass as `after` to get what comes next; stays at `after` (or null) when nothing newer exists yet. */
  nextCursor: string | null;
}

@Injectable()
export class EventsService {
  constructor(@InjectRepository(TenantEvent) private readonly events: Repository<TenantEvent>) {}

  /** For changes no row records (a refusal); row changes get theirs from triggers. */
  async emit(
    event: {
      tenantId: string;
      appId?: string | null;
      type: EventType;
      subject?: string;
      data?: Record<string, unknown>;
    },
    manager?: EntityManager,
  ): Promise<void> {
    const repository = manager ? manager.getRepository(TenantEvent) : this.events;
    await repository.insert({
      tenantId: event.tenantId,
      appId: event.appId ?? null,
      type: event.type,
      subject: event.subject ?? null,
      data: (event.data ?? {}) as never,
    });
  }

  /** As `emit`, for an app known by name in the tenant (a route's parameter); no app when none matches. */
  async emitForAppName(event: {
    tenantId: string;
    appName?: string;
    type: EventType;
    subject?: string;
    data?: Record<string, unknown>;
  }): Promise<void> {
    await this.events.query(
      `INSERT INTO events (tenant_id, app_id, type, subject, data)
       VALUES ($1, (SELECT id FROM apps WHERE tenant_id = $1 AND name = $2 ORDER BY deleting_at NULLS FIRST LIMIT 1), $3, $4, jsonb_strip_nulls($5::jsonb))`,
      [
        event.tenantId,
        event.appName ?? null,
        event.type,
        event.subject ?? null,
        JSON.stringify(event.data ?? {}),
      ],
    );
  }

  /**
   * Deletes at most `limit` events older than their tenant's plan's `eventRetentionDays`, oldest first per
   * tenant (the (tenant, created_at) index: a pass reads what it deletes, never the events it keeps); an
   * event a webhook delivery still retries stays (the delivery reads it). Returns how many it deleted.
   */
  async deleteExpired(limit: number): Promise<number> {
    const [row] = (await this.events.query(
      `WITH doomed AS (
         SELECT x.seq
           FROM tenants t
           JOIN plans p ON p.id = t.plan_id
          CROSS JOIN LATERAL (
            SELECT e.seq FROM events e
             WHERE e.tenant_id = t.id AND e.created_at < now() - make_interval(days => p.event_retention_days)
               AND e.seq NOT IN (SELECT d.event_seq FROM webhook_deliveries d WHERE d.status = 'pending')
             ORDER BY e.created_at LIMIT $1) x
          LIMIT $1
       ), gone AS (DELETE FROM events WHERE seq IN (SELECT seq FROM doomed) RETURNING 1)
       SELECT count(*)::int AS deleted FROM gone`,
      [limit],
    )) as { deleted: number }[];
    return row?.deleted ?? 0;
  }

  /**
   * A feed page: with `after`, the events after it, oldest first; without, the newest `limit` events,
   * oldest first, so a client reads the recent past once and then follows with `after`. An `after` below
   * the oldest event retention kept simply starts at the oldest kept one.
   */
  async page(filter: EventsFilter): Promise<EventsPage> {
    const limit = Math.min(Math.max(filter.limit ?? EVENTS_PAGE_DEFAULT, 1), EVENTS_PAGE_MAX);
    const query = this.events
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId', { tenantId: filter.tenantId });
    if (filter.appId !== undefined) query.andWhere('e.app_id = :appId', { appId: filter.appId });
    if (filter.types?.length) {
      const exact = filter.types.filter((type) => !type.endsWith('.'));
      const prefixes = filter.types.filter((type) => type.endsWith('.')).map((type) => `${type}%`);
      query.andWhere('(e.type = ANY(:exact) OR e.type LIKE ANY(:prefixes))', { exact, prefixes });
    }
    let events: TenantEvent[];
    if (filter.after !== undefined) {
      query.andWhere('e.seq > :after', { after: filter.after });
      events = await query.orderBy('e.seq', 'ASC').limit(limit).getMany();
    } else {
      events = (await query.orderBy('e.seq', 'DESC').limit(limit).getMany()).reverse();
    }
    const last = events[events.length - 1];
    return { events, nextCursor: last ? last.seq : (filter.after ?? null) };
  }
}
