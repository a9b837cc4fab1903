import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { WebhookAttempt, WebhookDelivery } from './webhook-delivery.entity.js';
import { Webhook } from './webhook.entity.js';

/** How long a seq the cursor passed unseen is looked for (a transaction still open, committing later). */
const GAP_WINDOW = "interval '2 minutes'";
/** Gaps noted per batch at most (a huge rolled-back range is not worth a row per seq). */
const GAPS_PER_BATCH = 10_000;
/** Deliveries of the events in CTE `batch`, one per webhook of the event's tenant that wants its type. */
const MAKE_DELIVERIES = `
  INSERT INTO webhook_deliveries (webhook_id, event_seq, event_type, event_created_at, next_attempt_at)
  SELECT w.id, e.seq, e.type, e.created_at, now()
    FROM batch e
    JOIN webhooks w ON w.tenant_id = e.tenant_id AND w.created_at <= e.created_at
   WHERE EXISTS (SELECT 1 FROM unnest(w.event_types) t
                  WHERE t = e.type OR (right(t, 1) = '.' AND starts_with(e.type, t)))
  ON CONFLICT (webhook_id, event_seq) DO NOTHING`;

export interface DueDelivery {
  id: string;
  webhookId: string;
  url: string;
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretUntil: Date | null;
  attempts: number;
  eventCreatedAt: Date;
  event: {
    seq: string;
    type: string;
    appId: string | null;
    subject: string | null;
    data: Record<string, unknown>;
    createdAt: Date;
  };
}

/** Every query of the webhooks tables. */
@Injectable()
export class WebhooksRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get webhooks() {
    return this.dataSource.getRepository(Webhook);
  }

  async countOfTenant(tenantId: string): Promise<number> {
    return this.webhooks.count({ where: { tenantId } });
  }

  async insert(webhook: Webhook): Promise<void> {
    await this.webhooks.insert(webhook);
  }

  async ofTenant(tenantId: string): Promise<Webhook[]> {
    return this.webhooks.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  async one(tenantId: string, id: string): Promise<Webhook | null> {
    return this.webhooks.findOne({ where: { tenantId, id } });
  }

  async remove(id: string): Promise<void> {
    await this.webhooks.delete({ id });
  }

  async rotate(id: string, secrets: { sealed: string; previousSealed: string; previousUntil: Date }) {
    await this.webhooks.update(
      { id },
      {
        secretSealed: secrets.sealed,
        previousSecretSealed: secrets.previousSealed,
        previousSecretUntil: secrets.previousUntil,
      },
    );
  }

  /**
   * One deliveries page, newest first, each with its attempts (oldest first); `before` is the id of the
   * last delivery of the previous page.
   */
  async deliveriesPage(webhookId: string, before: string | undefined, limit: number) {
    const query = this.dataSource
      .getRepository(WebhookDelivery)
      .createQueryBuilder('d')
      .where('d.webhook_id = :webhookId', { webhookId });
    if (before !== undefined) query.andWhere('d.id < :before', { before });
    const deliveries = await query.orderBy('d.id', 'DESC').limit(limit).getMany();
    const attempts = deliveries.length
      ? await this.dataSource
          .getRepository(WebhookAttempt)
          .createQueryBuilder('a')
          .where('a.delivery_id = ANY(:ids)', { ids: deliveries.map((d) => d.id) })
          .orderBy('a.id', 'ASC')
          .getMany()
      : [];
    return deliveries.map((delivery) => ({
      delivery,
      attempts: attempts.filter((attempt) => attempt.deliveryId === delivery.id),
    }));
  }

  /**
   * Makes the deliveries of the events after the cursor (at most `limit` events), one per matching webhook
   * created before the event; the unique (webhook, event) pair makes a second run (another process, a
   * re-read) add nothing. `seq` comes from a sequence, so a transaction can commit a lower seq after a
   * higher one is visible: each seq the cursor passes without seeing is noted as a gap (same statement,
   * same snapshot as the batch) and looked up again on every pass until its event appears or
   * GAP_WINDOW passes (a rollback leaves the gap forever). Returns how many events after the cursor it read.
   */
  async fanOut(limit: number): Promise<number> {
    // An idle pass (no event past the cursor, no gap to look at again) is this one read, not a transaction
    // of six statements. Without a cursor yet, the transaction below makes it.
    const [pending] = (await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM webhook_dispatch_gaps)
           OR coalesce((SELECT max(seq) FROM events), 0)
              > coalesce((SELECT seq FROM webhook_dispatch_cursor WHERE id = 1), -1) AS work`,
    )) as { work: boolean }[];
    if (!pending?.work) return 0;
    return this.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO webhook_dispatch_cursor (id, seq)
         VALUES (1, (SELECT coalesce(max(seq), 0) FROM events)) ON CONFLICT (id) DO NOTHING`,
      );
      const [cursor] = (await manager.query(
        'SELECT seq FROM webhook_dispatch_cursor WHERE id = 1 FOR UPDATE',
      )) as Array<{ seq: string }>;
      const after = cursor?.seq ?? '0';
      await manager.query(
        `WITH batch AS (SELECT e.* FROM events e JOIN webhook_dispatch_gaps g ON g.seq = e.seq),
              made AS (${MAKE_DELIVERIES})
         DELETE FROM webhook_dispatch_gaps
          WHERE seq IN (SELECT seq FROM batch) OR noted_at < now() - ${GAP_WINDOW}`,
      );
      const [read] = (await manager.query(
        `WITH batch AS (SELECT * FROM events WHERE seq > $1 ORDER BY seq LIMIT $2),
              made AS (${MAKE_DELIVERIES}),
              last AS (SELECT max(seq) AS seq FROM batch),
              gaps AS (
                INSERT INTO webhook_dispatch_gaps (seq)
                SELECT s FROM last, generate_series(greatest($1::bigint + 1, last.seq - ${GAPS_PER_BATCH}), last.seq) s
                 WHERE last.seq IS NOT NULL AND s NOT IN (SELECT seq FROM batch)
                ON CONFLICT (seq) DO NOTHING)
         SELECT count(*)::int AS events, max(seq)::text AS last FROM batch`,
        [after, limit],
      )) as Array<{ events: number; last: string | null }>;
      if (read?.last) {
        await manager.query('UPDATE webhook_dispatch_cursor SET seq = $1 WHERE id = 1', [read.last]);
      }
      return read?.events ?? 0;
    });
  }

  /**
   * Claims due deliveries, at most one per webhook and none of `busyWebhooks` (one in flight per
   * endpoint), by pushing their due time to the end of a lease: if this process dies mid-send, another
   * sends again after it (at least once).
   */
  async claimDue(input: { limit: number; busyWebhooks: string[]; leaseMs: number }): Promise<DueDelivery[]> {
    if (input.limit <= 0) return [];
    const result = (await this.dataSource.query(
      `WITH due AS (
         SELECT DISTINCT ON (d.webhook_id) d.id
           FROM webhook_deliveries d
          WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND NOT (d.webhook_id = ANY($1::uuid[]))
          ORDER BY d.webhook_id, d.next_attempt_at, d.id
       ), picked AS (
         -- Due again here: a row another claim updated since this statement's snapshot is re-checked.
         SELECT d.id FROM webhook_deliveries d JOIN due USING (id)
          WHERE d.status = 'pending' AND d.next_attempt_at <= now()
          ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED
       )
       UPDATE webhook_deliveries d
          SET next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
         FROM picked, webhooks w, events e
        WHERE d.id = picked.id AND w.id = d.webhook_id AND e.seq = d.event_seq
       RETURNING d.id::text AS id, d.webhook_id AS "webhookId", w.url, w.secret_sealed AS "secretSealed",
                 w.previous_secret_sealed AS "previousSecretSealed",
                 w.previous_secret_until AS "previousSecretUntil", d.attempts,
                 d.event_created_at AS "eventCreatedAt", e.seq::text AS "eventSeq", e.type AS "eventType",
                 e.app_id AS "eventAppId", e.subject AS "eventSubject", e.data AS "eventData",
                 e.created_at AS "eventAt"`,
      [input.busyWebhooks, input.limit, input.leaseMs],
    )) as [Array<Record<string, unknown>>, number];
    // TypeORM answers an UPDATE … RETURNING on PostgreSQL with [rows, affected count].
    const [rows] = result;
    return rows.map((row) => ({
      id: row.id as string,
      webhookId: row.webhookId as string,
      url: row.url as string,
      secretSealed: row.secretSealed as string,
      previousSecretSealed: row.previousSecretSealed as string | null,
      previousSecretUntil: row.previousSecretUntil as Date | null,
      attempts: row.attempts as number,
      eventCreatedAt: row.eventCreatedAt as Date,
      event: {
        seq: row.eventSeq as string,
        type: row.eventType as string,
        appId: row.eventAppId as string | null,
        subject: row.eventSubject as string | null,
        data: row.eventData as Record<string, unknown>,
        createdAt: row.eventAt as Date,
      },
    }));
  }

  /** Stores one attempt and the delivery's next state: delivered, failed, or due again at `nextAt`. */
  async recordAttempt(input: {
    deliveryId: string;
    attemptedAt: Date;
    statusCode: number | null;
    error: string | null;
    durationMs: number;
    outcome: { status: 'delivered' | 'failed' } | { status: 'pending'; nextAt: Date };
  }): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(WebhookAttempt).insert({
        deliveryId: input.deliveryId,
        attemptedAt: input.attemptedAt,
        statusCode: input.statusCode,
        error: input.error,
        durationMs: input.durationMs,
      });
      const finished = input.outcome.status !== 'pending';
      await manager.query(
        `UPDATE webhook_deliveries
            SET attempts = attempts + 1, status = $2, next_attempt_at = $3, finished_at = $4
          WHERE id = $1`,
        [
          input.deliveryId,
          input.outcome.status,
          input.outcome.status === 'pending' ? input.outcome.nextAt : null,
          finished ? new Date() : null,
        ],
      );
    });
  }

  /**
   * Deletes at most `limit` deliveries that reached their final state (delivered or failed) more than
   * `days` days ago, oldest first, with their attempts (the foreign key cascades); pending ones stay.
   */
  async deleteFinishedBefore(days: number, limit: number): Promise<number> {
    const [row] = (await this.dataSource.query(
      `WITH doomed AS (
         SELECT id FROM webhook_deliveries
          WHERE finished_at < now() - make_interval(days => $1) AND status <> 'pending'
          ORDER BY finished_at LIMIT $2
       ), gone AS (DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM doomed) RETURNING 1)
       SELECT count(*)::int AS deleted FROM gone`,
      [days, limit],
    )) as { deleted: number }[];
    return row?.deleted ?? 0;
  }
}
