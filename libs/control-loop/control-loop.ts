import { Logger } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';

/** Advisory lock ids of Berth's singleton loops. */
export const LOCK_KEYS = {
  migrations: 7_310_000,
  reconciler: 7_310_001,
  builds: 7_310_002,
  meter: 7_310_003,
  hostMonitor: 7_310_004,
  ingress: 7_310_005,
  acme: 7_310_006,
  buildRetention: 7_310_007,
  webhooks: 7_310_009,
  metrics: 7_310_008,
  sleep: 7_310_010,
  retention: 7_310_011,
  drains: 7_310_012,
  logArchive: 7_310_013,
} as const;

/** How often a process that does not hold a loop's lock tries again, at most: a dead leader's successor. */
const STANDBY_RETRY_MS = 5000;
/**
 * How often the leader asks PostgreSQL whether its session still holds the lock, at most. A session that
 * fails or is terminated errors its connection, which releases the query runner at once (TypeORM listens
 * for it) and so ends the leadership at the next pass without a query; the check covers the rest, within
 * the time a standby takes to retry anyway. Before, each loop sent it every pass: with several 1 s loops,
 * ~4.5 statements a second beside every other piece of work in a single-process install.
 */
const LEADER_CHECK_MS = STANDBY_RETRY_MS;

/**
 * Runs `work` every `intervalMs` (never overlapping itself) while this process holds a PostgreSQL advisory
 * lock, so with several api/worker processes exactly one runs each loop; another takes over when the
 * holder dies (its session, and so its lock, ends with it).
 */
export class ControlLoop {
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private runner: QueryRunner | undefined;
  private running = false;
  private stopped = true;
  private wakeRequested = false;
  private leading = false;
  private leaderCheckedAt = 0;

  constructor(
    private readonly options: {
      name: string;
      lockKey: number;
      intervalMs: number;
      dataSource: DataSource;
      /**
       * One pass; it may ask for the next one sooner than the interval (work in progress). `newlyLeading`:
       * this process did not run the loop's previous pass (it just took the lock).
       */
      work: (pass: { newlyLeading: boolean }) => Promise<void | { nextPassInMs: number }>;
    },
  ) {
    this.logger = new Logger(options.name);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Runs a pass soon (e.g. after an API change or a Docker event) instead of waiting for the interval. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.wakeRequested = true;
      return;
    }
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.runner) {
      await this.runner.query('SELECT pg_advisory_unlock($1)', [this.options.lockKey]).catch(() => undefined);
      await this.runner.release();
      this.runner = undefined;
      this.leading = false;
    }
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    this.wakeRequested = false;
    let delayMs = this.options.intervalMs;
    try {
      const wasLeading = this.leading;
      if (await this.holdLock()) {
        const outcome = await this.options.work({ newlyLeading: !wasLeading });
        if (outcome) delayMs = Math.min(delayMs, outcome.nextPassInMs);
      } else {
        delayMs = Math.min(delayMs, STANDBY_RETRY_MS);
      }
    } catch (err) {
      this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    } finally {
      this.running = false;
      if (!this.stopped) this.schedule(this.wakeRequested ? 0 : delayMs);
    }
  }

  private async holdLock(): Promise<boolean> {
    if (!this.runner || this.runner.isReleased) {
      this.leading = false;
      this.runner = this.options.dataSource.createQueryRunner();
      await this.runner.connect();
    }
    if (this.leading && Date.now() - this.leaderCheckedAt < LEADER_CHECK_MS) return true;
    // Once held, asking again would stack the lock (one unlock per lock taken), so the leader only checks
    // that its session still holds it.
    const [row] = this.leading
      ? await this.runner.query(
          `SELECT count(*) > 0 AS held FROM pg_locks
            WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
              AND classid = 0 AND objid = $1::bigint::oid AND objsubid = 1`,
          [this.options.lockKey],
        )
      : await this.runner.query('SELECT pg_try_advisory_lock($1) AS held', [this.options.lockKey]);
    const held = row.held === true;
    this.leaderCheckedAt = Date.now();
    if (held !== this.leading) this.logger.log(held ? 'this process leads the loop' : 'lost the loop lock');
    this.leading = held;
    return held;
  }
}
