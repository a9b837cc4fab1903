/** `egress`: the edge router's bytes of an app (usage_records bytes_in/bytes_out; seconds 0). `run`: one-off runs. */
export const USAGE_KINDS = ['web', 'lb', 'build', 'egress', 'run'] as const;
export type UsageKind = (typeof USAGE_KINDS)[number];

/**
 * One stretch of metered time in epoch milliseconds: a replica run (Docker's StartedAt → FinishedAt) or a
 * build (started → finished). Several spans may share a subject (a replica restarted after a crash).
 */
export interface UsageSpan {
  /** Run or build id; only breaks ties, so the output does not depend on the order of the input. */
  id: string;
  /** Replica id for runs, build id for builds: records are unique per (subject, window). */
  subjectId: string;
  kind: UsageKind;
  tenantId: string;
  appId: string | null;
  planId: string | null;
  memoryMb: number;
  cpuMillis: number;
  startMs: number;
  /** Null while it runs: it counts until `nowMs`. */
  stopMs: number | null;
}

/** What one subject used in one window: becomes one row of `usage_records`. */
export interface WindowUsage {
  subjectId: string;
  kind: UsageKind;
  tenantId: string;
  appId: string | null;
  planId: string | null;
  memoryMb: number;
  cpuMillis: number;
  windowStartMs: number;
  windowEndMs: number;
  /** Overlap of the subject's spans with the window, in whole milliseconds. */
  millis: number;
}

export interface CutOptions {
  windowMs: number;
  nowMs: number;
  /** A window is closed only when it ended at least this long ago (late stops still land in open windows). */
  graceMs: number;
  /** Most windows cut per subject in one call; a long catch-up is spread over several calls. */
  maxWindows: number;
  /** Per subject: end of its newest recorded window. Nothing before it is cut again. */
  progress?: ReadonlyMap<string, number>;
}

export interface CutResult {
  /** Sorted by window start, then subject: the order they are inserted (and so of their ids). */
  records: WindowUsage[];
  /** End of the newest closed window. */
  closedUntilMs: number;
  /** Once `records` are stored, every span that stopped before this instant is completely metered. */
  settledMs: number;
  /** False when a span still has closed windows beyond `maxWindows`: call again. */
  caughtUp: boolean;
}

export function floorTo(ms: number, windowMs: number): number {
  return Math.floor(ms / windowMs) * windowMs;
}

export function ceilTo(ms: number, windowMs: number): number {
  return Math.ceil(ms / windowMs) * windowMs;
}

/** End of the newest window [s, e) with e <= now - grace: windows up to it are final. */
export function closedUntil(nowMs: number, graceMs: number, windowMs: number): number {
  return floorTo(nowMs - graceMs, windowMs);
}

/** Formats whole milliseconds as exact decimal seconds ("127.500"), never through floating point. */
export function millisToSeconds(millis: number): string {
  const sign = millis < 0 ? '-' : '';
  const abs = Math.abs(millis);
  return `${sign}${Math.floor(abs / 1000)}.${String(abs % 1000).padStart(3, '0')}`;
}

/** The order records are inserted in, so ids roughly follow time. */
export function byWindowThenSubject(a: WindowUsage, b: WindowUsage): number {
  if (a.windowStartMs !== b.windowStartMs) return a.windowStartMs - b.windowStartMs;
  return a.subjectId < b.subjectId ? -1 : a.subjectId > b.subjectId ? 1 : 0;
}

interface Candidate {
  span: UsageSpan;
  millis: number;
}

/** The span a window's attributes (size, plan) come from: the longest overlap, then the earliest start. */
function better(a: Candidate, b: Candidate): boolean {
  if (a.millis !== b.millis) return a.millis > b.millis;
  if (a.span.startMs !== b.span.startMs) return a.span.startMs < b.span.startMs;
  return a.span.id < b.span.id;
}

/**
 * Cuts spans into fixed windows aligned to the epoch, and only closed ones (end <= now - grace). Each
 * (subject, window) gets the sum of the overlaps [max(start, s), min(stop ?? now, e)) of the subject's
 * spans, clipped, never rounded: a span's records add up to exactly its (millisecond) duration.
 *
 * Pure and deterministic: the same spans and progress give the same records whatever their order, so a
 * rerun, or two meters racing (inserts are ON CONFLICT DO NOTHING), store exactly the same rows.
 */
export function cutWindows(spans: readonly UsageSpan[], options: CutOptions): CutResult {
  const { windowMs, nowMs, graceMs, maxWindows } = options;
  if (!Number.isInteger(windowMs) || windowMs <= 0) throw new Error('windowMs must be a positive integer');
  if (!Number.isInteger(maxWindows) || maxWindows <= 0)
    throw new Error('maxWindows must be a positive integer');
  const closed = closedUntil(nowMs, graceMs, windowMs);
  const bySubject = new Map<string, UsageSpan[]>();
  for (const span of spans) {
    const list = bySubject.get(span.subjectId);
    if (list) list.push(span);
    else bySubject.set(span.subjectId, [span]);
  }

  const records: WindowUsage[] = [];
  let settled = closed;
  let caughtUp = true;
  for (const [subjectId, subjectSpans] of bySubject) {
    const progress = options.progress?.get(subjectId) ?? -Infinity;
    const fromOf = (span: UsageSpan) => Math.max(floorTo(span.startMs, windowMs), progress);
    const subjectFrom = Math.min(...subjectSpans.map(fromOf));
    // One limit for all spans of the subject, so a window is cut from all of them or from none.
    const limit = Math.min(closed, floorTo(subjectFrom, windowMs) + maxWindows * windowMs);
    const windows = new Map<number, { end: number; millis: number; best: Candidate }>();
    for (const span of subjectSpans) {
      const endMs = span.stopMs === null ? nowMs : Math.max(span.startMs, span.stopMs);
      const from = fromOf(span);
      const to = Math.min(limit, ceilTo(endMs, windowMs));
      for (let s = from; s < to; s = floorTo(s, windowMs) + windowMs) {
        const e = floorTo(s, windowMs) + windowMs;
        const millis = Math.min(endMs, e) - Math.max(span.startMs, s);
        if (millis <= 0) continue;
        const candidate = { span, millis };
        const window = windows.get(s);
        if (!window) windows.set(s, { end: e, millis, best: candidate });
        else {
          window.millis += millis;
          if (better(candidate, window.best)) window.best = candidate;
        }
      }
      const reached = Math.max(from, to);
      const finished = span.stopMs !== null && reached >= endMs;
      if (!finished) settled = Math.min(settled, reached);
      if (reached < Math.min(closed, ceilTo(endMs, windowMs))) caughtUp = false;
    }
    for (const [windowStartMs, window] of windows) {
      const { span } = window.best;
      records.push({
        subjectId,
        kind: span.kind,
        tenantId: span.tenantId,
        appId: span.appId,
        planId: span.planId,
        memoryMb: span.memoryMb,
        cpuMillis: span.cpuMillis,
        windowStartMs,
        windowEndMs: window.end,
        millis: window.millis,
      });
    }
  }
  records.sort(byWindowThenSubject);
  return { records, closedUntilMs: closed, settledMs: settled, caughtUp };
}
