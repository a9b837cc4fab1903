import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';

/**
 * After `freeFailures` consecutive failures, each further failure doubles the wait before the next
 * attempt is heard, up to `maxSeconds`: a guessing attack slows to a crawl, a typo costs nothing.
 */
export function loginDelaySeconds(failures: number, freeFailures = 5, maxSeconds = 900): number {
  if (failures < freeFailures) return 0;
  return Math.min(maxSeconds, 2 ** (failures - freeFailures));
}

export interface AddressBackoffSettings {
  /** Failures an address may make before it has to wait. */
  freeFailures: number;
  /** An address whose last failure is older than this starts from zero again. */
  forgetAfterMs: number;
  /** Rows kept at most (a spray from many addresses): the oldest go first. */
  maxRows: number;
}

const DEFAULTS: AddressBackoffSettings = { freeFailures: 10, forgetAfterMs: 15 * 60_000, maxRows: 100_000 };
/** Old rows are pruned at most this often per process. */
const PRUNE_EVERY_MS = 60_000;

/** Seconds an address with `failures` failures, the last `elapsedMs` ago, must still wait (0: it may try). */
export function addressWaitSeconds(
  failures: number,
  elapsedMs: number,
  settings: Pick<AddressBackoffSettings, 'freeFailures' | 'forgetAfterMs'> = DEFAULTS,
): number {
  if (elapsedMs > settings.forgetAfterMs) return 0;
  const waitMs = loginDelaySeconds(failures, settings.freeFailures) * 1000 - elapsedMs;
  return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
}

/**
 * Failed logins per client address, in PostgreSQL (`login_address_failures`), so the backoff holds across
 * API processes. Per-account state lives in the users table. Times are the database's clock, the one clock
 * every process shares. Rows older than `forgetAfterMs` are pruned, and at most `maxRows` are kept.
 */
export class AddressLoginBackoff {
  private readonly logger = new Logger('AddressLoginBackoff');
  private readonly settings: AddressBackoffSettings;
  private lastPruneMs = 0;

  constructor(
    private readonly dataSource: DataSource,
    settings: Partial<AddressBackoffSettings> = {},
  ) {
    this.settings = { ...DEFAULTS, ...settings };
  }

  /** Seconds the address must still wait, 0 when it may try. */
  async retryAfterSeconds(address: string): Promise<number> {
    const [row] = (await this.dataSource.query(
      `SELECT failures, EXTRACT(EPOCH FROM now() - last_failure_at) * 1000 AS "elapsedMs"
         FROM login_address_failures WHERE address = $1`,
      [keyOf(address)],
    )) as { failures: number; elapsedMs: string }[];
    return row ? addressWaitSeconds(row.failures, Math.max(0, Number(row.elapsedMs)), this.settings) : 0;
  }

  /** Counts a failure in one statement (concurrent failures each count); a forgotten count starts over. */
  async recordFailure(address: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO login_address_failures AS f (address, failures, last_failure_at) VALUES ($1, 1, now())
       ON CONFLICT (address) DO UPDATE SET
         failures = CASE WHEN f.last_failure_at < now() - $2 * interval '1 millisecond' THEN 1
                         ELSE f.failures + 1 END,
         last_failure_at = now()`,
      [keyOf(address), this.settings.forgetAfterMs],
    );
    if (Date.now() - this.lastPruneMs > PRUNE_EVERY_MS) {
      this.lastPruneMs = Date.now();
      await this.prune().catch((error: Error) => this.logger.warn(`prune failed: ${error.message}`));
    }
  }

  async recordSuccess(address: string): Promise<void> {
    await this.dataSource.query('DELETE FROM login_address_failures WHERE address = $1', [keyOf(address)]);
  }

  /** Drops forgotten rows, and the oldest beyond `maxRows`. */
  async prune(): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM login_address_failures
        WHERE last_failure_at < now() - $1 * interval '1 millisecond'
           OR address IN (SELECT address FROM login_address_failures
                           ORDER BY last_failure_at DESC OFFSET $2)`,
      [this.settings.forgetAfterMs, this.settings.maxRows],
    );
  }
}

/** The column holds 100 characters; longer "addresses" (never a real IP) are cut, not refused. */
function keyOf(address: string): string {
  return address.slice(0, 100);
}
