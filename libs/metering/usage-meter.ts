import type { DataSource, EntityManager } from 'typeorm';
import { EGRESS_GRACE_MS } from './egress-ledger.js';
import {
  byWindowThenSubject,
  closedUntil,
  cutWindows,
  millisToSeconds,
  type CutResult,
  type UsageSpan,
  type WindowUsage,
} from './usage-windows.js';

export interface UsageMeterOptions {
  windowSeconds: number;
  /** A window closes this long after its end, so a stop the reconciler learns late still counts. */
  graceSeconds?: number;
  /** Windows cut per subject in one pass: a long catch-up is spread over passes. */
  maxWindowsPerPass?: number;
  /** Passes one `meterUntil` call makes at most before it returns (the loop then comes back at once). */
  maxPassesPerCall?: number;
}

export interface MeterPassReport {
  /** Container and build records stored by this pass (records another meter stored first are not counted). */
  inserted: number;
  /** Egress records stored by this pass (the router's bytes of closed windows; counted apart). */
  egress: number;
  /** Every window ending at or before this instant is metered (unless caughtUp is false). */
  closedUntil: Date;
  caughtUp: boolean;
}

export interface MeterReport extends MeterPassReport {
  passes: number;
}

type Source = 'replica_runs' | 'builds' | 'one_off_runs';

const INSERT_CHUNK = 2000;
const MAX_RECORDS_PER_PASS = 100_000;

/**
 * Epoch milliseconds of a timestamptz, truncated (PostgreSQL keeps microseconds, records keep
 * milliseconds): computed in SQL so every meter reads exactly the same numbers.
 */
const ms = (column: string) => `floor(extract(epoch from ${column}) * 1000)::float8`;

/**
 * Cuts usage from `replica_runs` (and `builds`, `one_off_runs`) into closed fixed windows and stores them in
 * `usage_records`. Never samples: every record is the exact overlap of runs with a window.
 *
 * Each pass is one transaction that first takes `LOCK TABLE usage_records IN EXCLUSIVE MODE`. That lock
 * conflicts with itself and with every INSERT, but not with plain SELECTs, so:
 *  - two meters (two processes, or a pass that outlived its advisory lock) never interleave: the second
 *    one reads what the first committed and has nothing left to insert;
 *  - ids are handed out in commit order, which is what makes the billing API's id cursor exact
 *    (usage.service.ts explains it);
 *  - a crash rolls the whole pass back, and the rerun computes the same records again.
 * Records are inserted ON CONFLICT (subject_id, window_start) DO NOTHING all the same, so even a writer
 * that ignored the lock could not count a window twice.
 *
 * What was metered is derived from the records (a subject's newest window end), not from a counter, so a
 * run the reconciler records late (e.g. after an API restart) is still metered from its start. The
 * `usage_meter_state` bookmark only lets a pass skip runs that stopped before it; see cutWindows for how
 * it advances.
 */
export class UsageMeter {
  private readonly windowMs: number;
  private readonly graceMs: number;
  private readonly maxWindows: number;
  private readonly maxPasses: number;

  constructor(
    private readonly dataSource: DataSource,
    options: UsageMeterOptions,
  ) {
    this.windowMs = options.windowSeconds * 1000;
    this.graceMs = (options.graceSeconds ?? 30) * 1000;
    this.maxWindows = options.maxWindowsPerPass ?? 500;
    this.maxPasses = options.maxPassesPerCall ?? 20;
    if (!Number.isInteger(this.windowMs) || this.windowMs <= 0)
      throw new Error('windowSeconds must be positive');
  }

  /** Meters every window closed at `now` (end <= now - grace), in passes of at most maxWindowsPerPass. */
  async meterUntil(now: Date): Promise<MeterReport> {
    let passes = 0;
    let inserted = 0;
    let egress = 0;
    for (;;) {
      const pass = await this.pass(now);
      passes += 1;
      inserted += pass.inserted;
      egress += pass.egress;
      if (pass.caughtUp || passes >= this.maxPasses) return { ...pass, inserted, egress, passes };
    }
  }

  /** One bounded pass in one transaction. */
  async pass(now: Date): Promise<MeterPassReport> {
    return this.dataSource.transaction(async (manager) => {
      // A writer that never lets go makes the pass fail (and the loop retry), rather than hang forever.
      await manager.query(`SET LOCAL lock_timeout = '60s'`);
      await manager.query('LOCK TABLE usage_records IN EXCLUSIVE MODE');
      const closedMs = closedUntil(now.getTime(), this.graceMs, this.windowMs);
      const settled = await this.settled(manager);
      const runs = await this.runSpans(manager, closedMs, settled.get('replica_runs'));
      const builds = await this.buildSpans(manager, closedMs, settled.get('builds'));
      const oneOffs = await this.oneOffSpans(manager, closedMs, settled.get('one_off_runs'));
      const progress = await this.progress(manager, [...runs, ...builds, ...oneOffs]);
      // Bounds the records one pass holds in memory: fewer windows per subject when there are many subjects.
      const subjects = new Set([...runs, ...builds, ...oneOffs].map((s) => s.subjectId)).size;
      const maxWindows = Math.max(
        1,
        Math.min(this.maxWindows, Math.floor(MAX_RECORDS_PER_PASS / Math.max(1, subjects))),
      );
      const options = {
        windowMs: this.windowMs,
        nowMs: now.getTime(),
        graceMs: this.graceMs,
        progress,
        maxWindows,
      };
      const cut = (spans: UsageSpan[]): CutResult => cutWindows(spans, options);
      const fromRuns = cut(runs);
      const fromBuilds = cut(builds);
      const fromOneOffs = cut(oneOffs);
      const records = [...fromRuns.records, ...fromBuilds.records, ...fromOneOffs.records].sort(
        byWindowThenSubject,
      );
      const inserted = await this.insert(manager, records);
      const egress = await this.moveEgress(manager, now);
      await this.saveSettled(manager, 'replica_runs', fromRuns.settledMs);
      await this.saveSettled(manager, 'builds', fromBuilds.settledMs);
      await this.saveSettled(manager, 'one_off_runs', fromOneOffs.settledMs);
      return {
        inserted,
        egress,
        closedUntil: new Date(closedMs),
        caughtUp: fromRuns.caughtUp && fromBuilds.caughtUp && fromOneOffs.caughtUp,
      };
    });
  }

  /**
   * Moves the router's bytes of every closed window from `router_traffic` into `usage_records` (kind
   * `egress`, subject = the app, seconds 0), deleting them there. The SHARE ROW EXCLUSIVE lock waits for
   * collectors writing now and keeps new ones out until this pass commits (EgressLedger says why that is
   * exactly once). Windows close no earlier than the ledger's own grace, and on the real clock (the
   * collectors' clock), never a later `now` (tests meter with instants in the future: moving a window
   * still open would let later bytes of it be dropped).
   */
  private async moveEgress(manager: EntityManager, now: Date): Promise<number> {
    await manager.query('LOCK TABLE router_traffic IN SHARE ROW EXCLUSIVE MODE');
    const closedMs = closedUntil(
      Math.min(now.getTime(), Date.now()),
      Math.max(this.graceMs, EGRESS_GRACE_MS),
      this.windowMs,
    );
    const [row]: { n: number }[] = await manager.query(
      `WITH moved AS (
         DELETE FROM router_traffic WHERE window_end <= $1
         RETURNING app_id, tenant_id, window_start, window_end, bytes_in, bytes_out),
       ins AS (
         INSERT INTO usage_records (tenant_id, app_id, subject_id, kind, window_start, window_end, seconds,
                                    memory_mb, cpu_millis, plan_id, bytes_in, bytes_out)
         SELECT m.tenant_id, m.app_id, m.app_id, 'egress', m.window_start, m.window_end, 0, 0, 0, t.plan_id,
                m.bytes_in, m.bytes_out
           FROM moved m LEFT JOIN tenants t ON t.id = m.tenant_id
          ORDER BY m.window_start, m.app_id
         ON CONFLICT (subject_id, window_start) DO NOTHING
         RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [new Date(closedMs).toISOString()],
    );
    return row.n;
  }

  private async settled(manager: EntityManager): Promise<Map<Source, number>> {
    const rows: { source: Source; settledMs: number }[] = await manager.query(
      `SELECT source, ${ms('settled_until')} AS "settledMs" FROM usage_meter_state`,
    );
    return new Map(rows.map((r) => [r.source, r.settledMs]));
  }

  private async saveSettled(manager: EntityManager, source: Source, settledMs: number): Promise<void> {
    await manager.query(
      `INSERT INTO usage_meter_state (source, settled_until, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (source) DO UPDATE SET settled_until = EXCLUDED.settled_until, updated_at = now()`,
      [source, new Date(settledMs).toISOString()],
    );
  }

  /** Runs that may still have unmetered closed windows: open ones, and ones stopped since the bookmark. */
  private async runSpans(manager: EntityManager, closedMs: number, settledMs?: number): Promise<UsageSpan[]> {
    const rows: UsageSpan[] = await manager.query(
      `SELECT id, replica_id AS "subjectId", role AS kind, tenant_id AS "tenantId", app_id AS "appId",
              plan_id AS "planId", memory_mb AS "memoryMb", cpu_millis AS "cpuMillis",
              ${ms('started_at')} AS "startMs", ${ms('stopped_at')} AS "stopMs"
         FROM replica_runs
        WHERE started_at < $1 AND (stopped_at IS NULL OR stopped_at >= $2)`,
      [new Date(closedMs).toISOString(), settledIso(settledMs)],
    );
    return rows;
  }

  /**
   * Builds count from started_at to finished_at (running ones until now). Builds do not record the plan:
   * the tenant's plan at metering time (within the grace period of the window) is used.
   */
  private async buildSpans(
    manager: EntityManager,
    closedMs: number,
    settledMs?: number,
  ): Promise<UsageSpan[]> {
    const rows: UsageSpan[] = await manager.query(
      `SELECT b.id, b.id AS "subjectId", 'build' AS kind, b.tenant_id AS "tenantId", b.app_id AS "appId",
              t.plan_id AS "planId", b.memory_mb AS "memoryMb", b.cpu_millis AS "cpuMillis",
              ${ms('b.started_at')} AS "startMs", ${ms('b.finished_at')} AS "stopMs"
         FROM builds b LEFT JOIN tenants t ON t.id = b.tenant_id
        WHERE b.started_at IS NOT NULL AND b.started_at < $1
          AND (b.finished_at IS NULL OR b.finished_at >= $2)`,
      [new Date(closedMs).toISOString(), settledIso(settledMs)],
    );
    return rows;
  }

  /**
   * One-off runs (libs/runs, kind `run`: commands and release commands) count from Docker's StartedAt to
   * its FinishedAt, at the plan recorded when they started; one that never started has no span.
   */
  private async oneOffSpans(
    manager: EntityManager,
    closedMs: number,
    settledMs?: number,
  ): Promise<UsageSpan[]> {
    const rows: UsageSpan[] = await manager.query(
      `SELECT id, id AS "subjectId", 'run' AS kind, tenant_id AS "tenantId", app_id AS "appId",
              plan_id AS "planId", memory_mb AS "memoryMb", cpu_millis AS "cpuMillis",
              ${ms('started_at')} AS "startMs", ${ms('finished_at')} AS "stopMs"
         FROM one_off_runs
        WHERE started_at IS NOT NULL AND started_at < $1 AND (finished_at IS NULL OR finished_at >= $2)`,
      [new Date(closedMs).toISOString(), settledIso(settledMs)],
    );
    return rows;
  }

  /** Per subject, the end of its newest recorded window (one backward index probe each). */
  private async progress(manager: EntityManager, spans: UsageSpan[]): Promise<Map<string, number>> {
    const subjects = [...new Set(spans.map((s) => s.subjectId))];
    if (subjects.length === 0) return new Map();
    const rows: { subjectId: string; endMs: number | null }[] = await manager.query(
      `SELECT s.id AS "subjectId",
              (SELECT ${ms('u.window_end')} FROM usage_records u
                WHERE u.subject_id = s.id ORDER BY u.window_start DESC LIMIT 1) AS "endMs"
         FROM unnest($1::uuid[]) AS s(id)`,
      [subjects],
    );
    return new Map(rows.filter((r) => r.endMs !== null).map((r) => [r.subjectId, r.endMs!]));
  }

  private async insert(manager: EntityManager, records: WindowUsage[]): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < records.length; i += INSERT_CHUNK) {
      const chunk = records.slice(i, i + INSERT_CHUNK);
      const [row]: { n: number }[] = await manager.query(
        `WITH ins AS (
           INSERT INTO usage_records
                  (tenant_id, app_id, subject_id, kind, window_start, window_end, seconds, memory_mb, cpu_millis, plan_id)
           SELECT tenant_id, app_id, subject_id, kind, window_start, window_end, seconds, memory_mb, cpu_millis, plan_id
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::varchar[], $5::timestamptz[], $6::timestamptz[],
                         $7::numeric[], $8::int[], $9::int[], $10::varchar[])
                  WITH ORDINALITY AS r(tenant_id, app_id, subject_id, kind, window_start, window_end, seconds,
                                       memory_mb, cpu_millis, plan_id, ord)
            ORDER BY ord
           ON CONFLICT (subject_id, window_start) DO NOTHING
           RETURNING 1)
         SELECT count(*)::int AS n FROM ins`,
        [
          chunk.map((r) => r.tenantId),
          chunk.map((r) => r.appId),
          chunk.map((r) => r.subjectId),
          chunk.map((r) => r.kind),
          chunk.map((r) => new Date(r.windowStartMs).toISOString()),
          chunk.map((r) => new Date(r.windowEndMs).toISOString()),
          chunk.map((r) => millisToSeconds(r.millis)),
          chunk.map((r) => r.memoryMb),
          chunk.map((r) => r.cpuMillis),
          chunk.map((r) => r.planId),
        ],
      );
      inserted += row.n;
    }
    return inserted;
  }
}

/** No bookmark yet: every run is a candidate (the first pass catches up from the earliest one). */
function settledIso(settledMs: number | undefined): string {
  return settledMs === undefined ? '-infinity' : new Date(settledMs).toISOString();
}
