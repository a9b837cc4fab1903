import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { EventsService } from '../events/index.js';
import { RunOutputStore, RunsRepository } from '../runs/index.js';
import { WebhooksRepository } from '../webhooks/index.js';

/** Rows one DELETE removes at most: each statement is its own short transaction, never a long lock. */
export const RETENTION_BATCH = 5000;
/**
 * Webhook deliveries per statement: each takes its attempts along (the foreign key cascades), about 30 at
 * most under the default retry schedule (30 s doubling to 1 h for 24 h), so a statement stays near the batch.
 */
export const RETENTION_DELIVERY_BATCH = 200;
/** Statements per kind and pass at most: a pass stays short; what is left follows soon (CATCH_UP_DELAY_MS). */
export const RETENTION_STATEMENTS_PER_PASS = 20;
/** Runs whose output one pass expires at most (each holds 10,001 lines at most). */
export const RETENTION_RUNS_PER_PASS = 100;
/** Finished webhook deliveries (with their attempts) are kept this long after their final state. */
export const WEBHOOK_DELIVERY_RETENTION_DAYS = 7;
const CATCH_UP_DELAY_MS = 1000;

export interface RetentionPassReport {
  events: number;
  deliveries: number;
  auditEvents: number;
  expiredRuns: number;
  runOutputLines: number;
  /** Some kind hit its per-pass bound: the next pass starts soon. */
  more: boolean;
}

/**
 * Expiry of the rows tenants make without bound (issue #17): events beyond their plan's
 * `eventRetentionDays`, finished webhook deliveries after WEBHOOK_DELIVERY_RETENTION_DAYS, audit events
 * beyond the operator's `auditRetentionDays`, and the output of finished runs beyond the plan's
 * `runRetention` newest of each app (the run row stays, with `expiredAt`). A ControlLoop: one process at a
 * time (lock LOCK_KEYS.retention), every `BERTH_RETENTION_INTERVAL_MS`, sooner while work is left. Every
 * statement deletes a bounded batch in its own transaction and every step is idempotent, so two passes at
 * once (or a pass that dies half-way) leave the same outcome.
 */
@Injectable()
export class Retention implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Retention');
  private readonly loop: ControlLoop;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() dataSource: DataSource,
    private readonly events: EventsService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhooksRepository,
    private readonly runs: RunsRepository,
    private readonly runOutput: RunOutputStore,
  ) {
    this.loop = new ControlLoop({
      name: 'Retention',
      lockKey: LOCK_KEYS.retention,
      intervalMs: config.retentionIntervalMs,
      dataSource,
      work: async () => {
        const report = await this.runPass();
        return report.more ? { nextPassInMs: CATCH_UP_DELAY_MS } : undefined;
      },
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.runWorkers) this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** One pass over every kind; a kind that fails is logged and tried again next pass, the others go on. */
  async runPass(): Promise<RetentionPassReport> {
    const report: RetentionPassReport = {
      events: 0,
      deliveries: 0,
      auditEvents: 0,
      expiredRuns: 0,
      runOutputLines: 0,
      more: false,
    };
    const kinds: [string, () => Promise<void>][] = [
      [
        'events',
        async () => {
          const { deleted, more } = await inBatches(RETENTION_BATCH, (limit) =>
            this.events.deleteExpired(limit),
          );
          report.events = deleted;
          report.more ||= more;
        },
      ],
      [
        'webhook deliveries',
        async () => {
          const { deleted, more } = await inBatches(RETENTION_DELIVERY_BATCH, (limit) =>
            this.webhooks.deleteFinishedBefore(WEBHOOK_DELIVERY_RETENTION_DAYS, limit),
          );
          report.deliveries = deleted;
          report.more ||= more;
        },
      ],
      [
        'audit events',
        async () => {
          const { deleted, more } = await inBatches(RETENTION_BATCH, (limit) =>
            this.audit.deleteOlderThan(this.config.auditRetentionDays, limit),
          );
          report.auditEvents = deleted;
          report.more ||= more;
        },
      ],
      ['run output', () => this.expireRuns(report)],
    ];
    for (const [kind, work] of kinds) {
      await work().catch((error: Error) => this.logger.warn(`${kind}: ${error.message}`));
    }
    const deleted = report.events + report.deliveries + report.auditEvents + report.runOutputLines;
    if (deleted + report.expiredRuns > 0) {
      this.logger.log(
        `deleted ${report.events} events, ${report.deliveries} webhook deliveries, ${report.auditEvents} audit events` +
          ` and the output of ${report.expiredRuns} runs (${report.runOutputLines} lines)`,
      );
    }
    return report;
  }

  /**
   * Output lines first, then the mark (as builds do): a pass that dies between them leaves runs that are
   * still beyond retention and unmarked, which the next pass finishes.
   */
  private async expireRuns(report: RetentionPassReport): Promise<void> {
    const ids = await this.runs.beyondRetention(RETENTION_RUNS_PER_PASS);
    if (ids.length === 0) return;
    const lines = await inBatches(RETENTION_BATCH, (limit) => this.runOutput.deleteOfRuns(ids, limit));
    report.runOutputLines = lines.deleted;
    if (lines.more) {
      report.more = true;
      return;
    }
    await this.runs.markExpired(ids);
    report.expiredRuns = ids.length;
    report.more ||= ids.length === RETENTION_RUNS_PER_PASS;
  }
}

/**
 * Runs `statement` (one bounded DELETE) until it deletes fewer than `limit` rows or
 * RETENTION_STATEMENTS_PER_PASS statements ran; `more` when that bound stopped it.
 */
async function inBatches(
  limit: number,
  statement: (limit: number) => Promise<number>,
): Promise<{ deleted: number; more: boolean }> {
  let deleted = 0;
  for (let round = 0; round < RETENTION_STATEMENTS_PER_PASS; round += 1) {
    const count = await statement(limit);
    deleted += count;
    if (count < limit) return { deleted, more: false };
  }
  return { deleted, more: true };
}
