import crypto from 'node:crypto';
import os from 'node:os';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ProblemError } from '../errors/index.js';
import { LOCK_CLASSES } from '../db/index.js';

export interface StreamSlotSettings {
  /** Open streams a tenant may hold across every API process. */
  perTenant: number;
  /** A slot not renewed for this long is free again (its process died). */
  ttlMs: number;
  /** How often a process renews its slots. */
  renewEveryMs: number;
}

const DEFAULTS = { ttlMs: 20_000, renewEveryMs: 5_000 };

/** The refusal of one stream over the limit: 429 `stream_limit_reached` (WebSocket close 4429). */
export function streamLimitReached(limit: number): ProblemError {
  return new ProblemError(
    429,
    'stream_limit_reached',
    'Too many requests',
    `At most ${limit} log streams may be open at once per tenant; close one first`,
    { limit },
  );
}

/**
 * Counts the open log streams of each tenant across every API process, in PostgreSQL
 * (`log_stream_slots`: one row per open stream, with the process that holds it and an expiry).
 *
 * Acquiring takes a per-tenant advisory transaction lock, then inserts the slot only if fewer than the limit
 * are live, in one statement: the lock serialises acquisitions of one tenant, and the insert's snapshot is
 * taken after the lock, so it sees every slot committed before. A process renews its slots every
 * `renewEveryMs` (re-inserting any that vanished) and deletes them when their streams close or it shuts
 * down; the slots of a process that died expire after `ttlMs`.
 */
export class StreamSlots {
  private readonly logger = new Logger('StreamSlots');
  private readonly settings: StreamSlotSettings;
  /** This process in the table: host, pid and a random part (pids repeat across hosts and restarts). */
  readonly processId = `${os.hostname().slice(0, 60)}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  /** Slots this process holds: slot id → tenant. */
  private readonly held = new Map<string, string>();
  /** Releases still being written: an acquisition waits for them, so a closed stream's slot is free at once. */
  private readonly releasing = new Set<Promise<void>>();
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly dataSource: DataSource,
    settings: Pick<StreamSlotSettings, 'perTenant'> & Partial<StreamSlotSettings>,
  ) {
    this.settings = { ...DEFAULTS, ...settings };
  }

  /** Takes a slot (429 `stream_limit_reached` when none is left); the returned function gives it back. */
  async acquire(tenantId: string): Promise<() => void> {
    await Promise.allSettled([...this.releasing]);
    const slotId = await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
        LOCK_CLASSES.streamSlots,
        tenantId,
      ]);
      await manager.query('DELETE FROM log_stream_slots WHERE tenant_id = $1 AND expires_at <= now()', [
        tenantId,
      ]);
      const rows = (await manager.query(
        `INSERT INTO log_stream_slots (tenant_id, process_id, expires_at)
         SELECT $1, $2, now() + $3 * interval '1 millisecond'
          WHERE (SELECT count(*) FROM log_stream_slots WHERE tenant_id = $1 AND expires_at > now()) < $4
         RETURNING id`,
        [tenantId, this.processId, this.settings.ttlMs, this.settings.perTenant],
      )) as { id: string }[];
      return rows[0]?.id;
    });
    if (!slotId) throw streamLimitReached(this.settings.perTenant);
    this.held.set(slotId, tenantId);
    this.startRenewing();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(slotId);
    };
  }

  /** Live slots of the tenant, every process counted. */
  async count(tenantId: string): Promise<number> {
    const [row] = (await this.dataSource.query(
      'SELECT count(*)::int AS n FROM log_stream_slots WHERE tenant_id = $1 AND expires_at > now()',
      [tenantId],
    )) as { n: number }[];
    return row.n;
  }

  /** Live slots of every tenant and process: the open log streams of the whole installation. */
  async countAll(): Promise<number> {
    const [row] = (await this.dataSource.query(
      'SELECT count(*)::int AS n FROM log_stream_slots WHERE expires_at > now()',
    )) as { n: number }[];
    return row.n;
  }

  /** Pushes the expiry of every slot this process holds, putting back any that was removed meanwhile. */
  async renew(): Promise<void> {
    if (this.held.size === 0) return;
    const ids = [...this.held.keys()];
    await this.dataSource.query(
      `INSERT INTO log_stream_slots (id, tenant_id, process_id, expires_at)
       SELECT id, tenant, $3, now() + $4 * interval '1 millisecond'
         FROM unnest($1::uuid[], $2::uuid[]) AS held(id, tenant)
       ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [ids, ids.map((id) => this.held.get(id)), this.processId, this.settings.ttlMs],
    );
  }

  /** Stops renewing and gives back every slot of this process (on shutdown, after the streams closed). */
  async close(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    await Promise.allSettled([...this.releasing]);
    this.held.clear();
    if (!this.dataSource.isInitialized) return; // built without a database (OpenAPI generation)
    await this.dataSource
      .query('DELETE FROM log_stream_slots WHERE process_id = $1', [this.processId])
      .catch((error: Error) => this.logger.warn(`slots not given back: ${error.message}`));
  }

  private release(slotId: string): void {
    this.held.delete(slotId);
    const done: Promise<void> = this.dataSource
      .query('DELETE FROM log_stream_slots WHERE id = $1', [slotId])
      .then(
        () => undefined,
        // It expires on its own once no longer renewed.
        (error: Error) => this.logger.warn(`slot ${slotId} not given back: ${error.message}`),
      )
      .finally(() => this.releasing.delete(done));
    this.releasing.add(done);
  }

  private startRenewing(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => {
      this.renew().catch((error: Error) => this.logger.warn(`slots not renewed: ${error.message}`));
    }, this.settings.renewEveryMs);
    this.renewTimer.unref();
  }
}
