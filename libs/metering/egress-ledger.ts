import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { closedUntil, floorTo } from './usage-windows.js';

/** The bytes of one request through the router, at the instant its access line was written. */
export interface RequestBytes {
  appId: string;
  atMs: number;
  bytesIn: number;
  bytesOut: number;
}

/** The last line of a host's router log counted into the ledger. */
export interface RouterLogMark {
  containerId: string;
  /** Canonical RFC 3339 (nine fraction digits): compares as text. */
  timestamp: string;
  ordinal: number;
}

export interface WindowBytes {
  appId: string;
  windowStartMs: number;
  windowEndMs: number;
  bytesIn: number;
  bytesOut: number;
}

/** Default grace of the meter (UsageMeter): a window is closed 30 s after its end. */
export const EGRESS_GRACE_MS = 30_000;

/**
 * Adds requests' bytes up per app and window. A request counts in the window of its access line, or, if
 * that window is already closed (`openFromMs`: the start of the oldest window still open), in the oldest
 * open one: a line read late is billed a little late, never lost and never counted twice. Pure.
 */
export function egressWindows(
  requests: readonly RequestBytes[],
  options: { windowMs: number; openFromMs: number },
): WindowBytes[] {
  const windows = new Map<string, WindowBytes>();
  for (const request of requests) {
    const start = floorTo(Math.max(request.atMs, options.openFromMs), options.windowMs);
    const key = `${request.appId} ${start}`;
    const window = windows.get(key) ?? {
      appId: request.appId,
      windowStartMs: start,
      windowEndMs: start + options.windowMs,
      bytesIn: 0,
      bytesOut: 0,
    };
    window.bytesIn += request.bytesIn;
    window.bytesOut += request.bytesOut;
    windows.set(key, window);
  }
  return [...windows.values()].sort(
    (a, b) => a.windowStartMs - b.windowStartMs || (a.appId < b.appId ? -1 : 1),
  );
}

/**
 * The router's bytes on their way to usage records: per (app, window) sums in `router_traffic`, and per
 * host how far its router log was counted (`router_log_positions`), both moved in one transaction.
 *
 * Exactly once: a crash rolls back the bytes with the position, so the rerun counts the same lines
 * again; a second collector that read from the same position finds it moved and writes nothing. The
 * meter moves a window to `usage_records` only once it is closed, under `LOCK TABLE router_traffic IN
 * SHARE ROW EXCLUSIVE MODE`; a collector takes ROW EXCLUSIVE first and only then reads the clock, so it
 * either commits before the meter reads, or reads a clock later than the meter's and writes only windows
 * the meter had not closed yet (one clock: the hosts of one installation are NTP-synchronised; a skew
 * below the 30 s grace only moves bytes into the next window).
 */
@Injectable()
export class EgressLedger {
  private readonly windowMs: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(BERTH_CONFIG) config: BerthConfig,
  ) {
    this.windowMs = config.usageWindowSeconds * 1000;
  }

  /** Where counting the host's router log goes on from (undefined: from its start). */
  async mark(hostId: string): Promise<RouterLogMark | undefined> {
    const rows: RouterLogMark[] = await this.dataSource.query(
      `SELECT container_id AS "containerId", timestamp, ordinal FROM router_log_positions
        WHERE host_id = $1 AND container_id <> ''`,
      [hostId],
    );
    return rows[0];
  }

  /**
   * Adds `requests` and moves the host's mark from `from` to `to`, or does nothing and returns false when
   * the mark is no longer `from` (another collector counted these lines). Requests of apps that no
   * longer exist are left out (no tenant to bill).
   */
  async record(
    hostId: string,
    move: { from: RouterLogMark | undefined; to: RouterLogMark },
    requests: readonly RequestBytes[],
  ): Promise<boolean> {
    return this.dataSource.transaction(async (manager) => {
      // A row to lock even on a host's first pass (container '' = no mark yet): two first passes at once
      // queue on it, and the second then finds the mark moved.
      await manager.query(
        `INSERT INTO router_log_positions (host_id, container_id, timestamp, ordinal, updated_at)
         VALUES ($1, '', '', 0, now()) ON CONFLICT (host_id) DO NOTHING`,
        [hostId],
      );
      const [row]: RouterLogMark[] = await manager.query(
        `SELECT container_id AS "containerId", timestamp, ordinal FROM router_log_positions
          WHERE host_id = $1 FOR UPDATE`,
        [hostId],
      );
      const current = row && row.containerId !== '' ? row : undefined;
      if (!sameMark(current, move.from)) return false;
      await manager.query('LOCK TABLE router_traffic IN ROW EXCLUSIVE MODE');
      const openFromMs = closedUntil(Date.now(), EGRESS_GRACE_MS, this.windowMs);
      const windows = egressWindows(requests, { windowMs: this.windowMs, openFromMs });
      if (windows.length > 0) {
        await manager.query(
          `INSERT INTO router_traffic (app_id, window_start, window_end, tenant_id, bytes_in, bytes_out)
           SELECT a.id, w.window_start, w.window_end, a.tenant_id, w.bytes_in, w.bytes_out
             FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::bigint[], $5::bigint[])
                  AS w(app_id, window_start, window_end, bytes_in, bytes_out)
             JOIN apps a ON a.id = w.app_id
           ON CONFLICT (app_id, window_start) DO UPDATE
              SET bytes_in = router_traffic.bytes_in + EXCLUDED.bytes_in,
                  bytes_out = router_traffic.bytes_out + EXCLUDED.bytes_out`,
          [
            windows.map((w) => w.appId),
            windows.map((w) => new Date(w.windowStartMs).toISOString()),
            windows.map((w) => new Date(w.windowEndMs).toISOString()),
            windows.map((w) => w.bytesIn),
            windows.map((w) => w.bytesOut),
          ],
        );
      }
      // The last request per app: what scale to zero measures idleness by (AppsRepository.sleepIdle).
      const lastRequest = new Map<string, number>();
      for (const request of requests) {
        lastRequest.set(request.appId, Math.max(lastRequest.get(request.appId) ?? 0, request.atMs));
      }
      if (lastRequest.size > 0) {
        await manager.query(
          `UPDATE apps a SET last_request_at = greatest(a.last_request_at, l.at)
             FROM unnest($1::uuid[], $2::timestamptz[]) AS l(app_id, at)
            WHERE a.id = l.app_id`,
          [[...lastRequest.keys()], [...lastRequest.values()].map((ms) => new Date(ms).toISOString())],
        );
      }
      await manager.query(
        `INSERT INTO router_log_positions (host_id, container_id, timestamp, ordinal, updated_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (host_id) DO UPDATE SET container_id = EXCLUDED.container_id,
           timestamp = EXCLUDED.timestamp, ordinal = EXCLUDED.ordinal, updated_at = now()`,
        [hostId, move.to.containerId, move.to.timestamp, move.to.ordinal],
      );
      return true;
    });
  }
}

function sameMark(a: RouterLogMark | undefined, b: RouterLogMark | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.containerId === b.containerId && a.timestamp === b.timestamp && a.ordinal === b.ordinal;
}
