import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { TenantEvent } from './event.entity.js';

/** How often watched apps' new events are read, and at most how many per read (the rest next time). */
const POLL_MS = 1000;
const POLL_LIMIT = 500;

export interface LiveEventMessage {
  type: 'event';
  event: {
    seq: string;
    type: string;
    subject: string | null;
    data: Record<string, unknown>;
    createdAt: string;
  };
}

type Listener = (message: LiveEventMessage) => void;

/**
 * New events of watched apps for the app's WebSocket stream: ONE poll per process (every second, only
 * while some stream watches an app) reads every watched app's events after the last seq it saw, in one
 * query, whichever process wrote them. Live delivery is for dashboards: an event whose transaction commits
 * after a later-numbered one was read is not sent live (GET /v1/events, the record, has it).
 */
@Injectable()
export class LiveEvents implements OnApplicationShutdown {
  private readonly logger = new Logger('LiveEvents');
  private readonly listeners = new Map<string, Set<Listener>>();
  private timer: NodeJS.Timeout | undefined;
  private afterSeq: string | undefined;
  private polling = false;

  constructor(@InjectRepository(TenantEvent) private readonly events: Repository<TenantEvent>) {}

  /** Calls `listener` with each event of the app written from now on; the returned function stops it. */
  watch(appId: string, listener: Listener): () => void {
    const set = this.listeners.get(appId) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(appId, set);
    if (!this.timer) {
      this.timer = setInterval(() => void this.poll(), POLL_MS);
      this.timer.unref();
      void this.poll();
    }
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(appId);
      if (this.listeners.size === 0) this.stop();
    };
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    // The next first watcher starts from the events written after it, not from an old position.
    this.afterSeq = undefined;
  }

  private async newestSeq(): Promise<string> {
    const [row] = (await this.events.query('SELECT COALESCE(max(seq), 0)::text AS seq FROM events')) as {
      seq: string;
    }[];
    return row!.seq;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.listeners.size === 0) return;
    this.polling = true;
    try {
      if (this.afterSeq === undefined) {
        this.afterSeq = await this.newestSeq();
        return;
      }
      // Read up to the newest seq as of now: events of apps nobody watches are passed over with it.
      const newest = await this.newestSeq();
      if (newest === this.afterSeq) return;
      const rows = await this.events
        .createQueryBuilder('e')
        .where('e.seq > :after AND e.seq <= :newest', { after: this.afterSeq, newest })
        .andWhere('e.app_id = ANY(:apps)', { apps: [...this.listeners.keys()] })
        .orderBy('e.seq', 'ASC')
        .limit(POLL_LIMIT)
        .getMany();
      this.afterSeq = rows.length === POLL_LIMIT ? rows.at(-1)!.seq : newest;
      for (const event of rows) {
        const message: LiveEventMessage = {
          type: 'event',
          event: {
            seq: event.seq,
            type: event.type,
            subject: event.subject,
            data: event.data,
            createdAt: event.createdAt.toISOString(),
          },
        };
        for (const listener of this.listeners.get(event.appId ?? '') ?? []) listener(message);
      }
    } catch (error) {
      this.logger.warn(
        `reading new events failed: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      this.polling = false;
    }
  }
}
