import crypto from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { loginDelaySeconds } from './login-backoff.js';

export interface AccountBackoffSettings {
  /** Failures a pair (account, address) may make before it has to wait. */
  freeFailures: number;
  /** One failure is forgiven per this many milliseconds without a new one: the count decays, never sticks. */
  decayMs: number;
  /** The longest wait, in seconds. */
  maxWaitSeconds: number;
  /** Rows kept at most (a spray over many accounts): the oldest go first. */
  maxRows: number;
}

const DEFAULTS: AccountBackoffSettings = {
  freeFailures: 5,
  decayMs: 5 * 60_000,
  maxWaitSeconds: 900,
  maxRows: 100_000,
};
const PRUNE_EVERY_MS = 60_000;

/** The count left of `failures` after `elapsedMs` without a failure (one forgiven per `decayMs`). */
export function decayedFailures(failures: number, elapsedMs: number, decayMs: number): number {
  return Math.max(0, failures - elapsedMs / decayMs);
}

/** Seconds the pair must still wait after its last failure `elapsedMs` ago (0: it may try). */
export function accountWaitSeconds(
  failures: number,
  elapsedMs: number,
  settings: Pick<AccountBackoffSettings, 'freeFailures' | 'maxWaitSeconds'> = DEFAULTS,
): number {
  const delayMs =
    loginDelaySeconds(Math.floor(failures), settings.freeFailures, settings.maxWaitSeconds) * 1000;
  const waitMs = delayMs - elapsedMs;
  return waitMs > 0 ? Math.ceil(waitMs / 1000) : 0;
}

/**
 * Failed logins per (account, client address) in PostgreSQL (`login_failures`), so a guesser slows down only
 * itself: the owner, logging in from their own address, never waits for someone else's failures (a lock
 * keyed on the account alone lets anyone lock the owner out). The account is keyed by a hash of the
 * normalized email whether or not the account exists, so the wait tells nothing about existence. The count
 * decays by one per `decayMs`; rows that decayed to nothing are pruned.
 */
export class AccountLoginBackoff {
  private readonly logger = new Logger('AccountLoginBackoff');
  private readonly settings: AccountBackoffSettings;
  private lastPruneMs = 0;

  constructor(
    private readonly dataSource: DataSource,
    settings: Partial<AccountBackoffSettings> = {},
  ) {
    this.settings = { ...DEFAULTS, ...settings };
  }

  /** Seconds the pair must still wait, 0 when it may try. */
  async retryAfterSeconds(email: string, address: string): Promise<number> {
    const [row] = (await this.dataSource.query(
      `SELECT failures, EXTRACT(EPOCH FROM now() - last_failure_at) * 1000 AS "elapsedMs"
         FROM login_failures WHERE account_key = $1 AND address = $2`,
      [accountKeyOf(email), address.slice(0, 100)],
    )) as { failures: number; elapsedMs: string }[];
    if (!row) return 0;
    // The wait runs from the last failure at the count that failure reached; decay shortens later waits.
    return accountWaitSeconds(Number(row.failures), Math.max(0, Number(row.elapsedMs)), this.settings);
  }

  /** Counts a failure in one statement: the stored count decays first, then grows by one. */
  async recordFailure(email: string, address: string): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO login_failures AS f (account_key, address, failures, last_failure_at)
       VALUES ($1, $2, 1, now())
       ON CONFLICT (account_key, address) DO UPDATE SET
         failures = GREATEST(0, f.failures - EXTRACT(EPOCH FROM now() - f.last_failure_at) * 1000 / $3) + 1,
         last_failure_at = now()`,
      [accountKeyOf(email), address.slice(0, 100), this.settings.decayMs],
    );
    if (Date.now() - this.lastPruneMs > PRUNE_EVERY_MS) {
      this.lastPruneMs = Date.now();
      await this.prune().catch((error: Error) => this.logger.warn(`prune failed: ${error.message}`));
    }
  }

  async recordSuccess(email: string, address: string): Promise<void> {
    await this.dataSource.query('DELETE FROM login_failures WHERE account_key = $1 AND address = $2', [
      accountKeyOf(email),
      address.slice(0, 100),
    ]);
  }

  /** Drops rows whose count has decayed to nothing, and the oldest beyond `maxRows`. */
  async prune(): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM login_failures
        WHERE last_failure_at + failures * $1 * interval '1 millisecond' < now()
           OR (account_key, address) IN (SELECT account_key, address FROM login_failures
                                          ORDER BY last_failure_at DESC OFFSET $2)`,
      [this.settings.decayMs, this.settings.maxRows],
    );
  }
}

/** A hash, so the table never holds the emails of accounts that do not exist (typos, sprayed lists). */
function accountKeyOf(normalizedEmail: string): string {
  return crypto.createHash('sha256').update(normalizedEmail).digest('hex');
}
