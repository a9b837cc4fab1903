import type { ReplicaState } from './replica.entity.js';

/** How soon an app with replicas starting gets its next look at the latest (their readiness is checked again). */
const STARTING_RECHECK_MS = 1000;
/** The first look at a replica's readiness after its container started; later looks back off (nextLook). */
export const FIRST_READINESS_LOOK_MS = 25;

/** What one reconcile pass covers: every app (a full resync) or only the apps due now. */
export type PassScope = { kind: 'full' } | { kind: 'apps'; appIds: string[] };

/**
 * Which apps the reconcile loop must look at, and when (pure; the loop feeds it). An app is marked by a
 * change of its desired state (AppChanges), a Docker event of one of its containers, or its own last pass
 * when that did not converge (replicas starting, a crash restart due later, a rollout waiting). A pass
 * takes the apps due at its start; a full resync, every `resyncMs` and whenever asked for, covers every
 * app and catches whatever was missed (a notification lost while a connection was down, a host that came
 * back). Marks that are not due yet stay for their own time.
 */
export class ReconcileSchedule {
  private readonly due = new Map<string, number>();
  /** The first pass is a full one: a process that just took the loop over knows nothing yet. */
  private fullDueAt = 0;

  constructor(private readonly resyncMs: number) {}

  /** The app needs a look at `at` (ms since the epoch); an earlier mark wins. */
  mark(appId: string, at: number): void {
    const current = this.due.get(appId);
    if (current === undefined || at < current) this.due.set(appId, at);
  }

  /** The next pass covers every app (a host changed, a Docker event named no app, leadership was taken). */
  requestFull(): void {
    this.fullDueAt = 0;
  }

  /** The pass starting at `now`: what it covers, taken out of the schedule. */
  take(now: number): PassScope {
    const dueNow = [...this.due].filter(([, at]) => at <= now).map(([appId]) => appId);
    for (const appId of dueNow) this.due.delete(appId);
    if (this.fullDueAt <= now) {
      this.fullDueAt = now + this.resyncMs;
      return { kind: 'full' };
    }
    return { kind: 'apps', appIds: dueNow };
  }

  /** How long until something is due (0: at once). */
  msUntilNextDue(now: number): number {
    let next = this.fullDueAt;
    for (const at of this.due.values()) next = Math.min(next, at);
    return Math.max(0, next - now);
  }

  /** Apps marked and not yet taken. */
  get size(): number {
    return this.due.size;
  }
}

/**
 * When an app that did not converge needs its next look. A replica starting is looked at soon after its
 * start and then less often: a quarter of its age, from FIRST_READINESS_LOOK_MS up to a second (a node app
 * listens a few hundred ms after its start; a look at a replica not yet listening costs a pass and a
 * refused connection, while a fixed second between looks made every deploy wait for it). A crashed
 * replica is looked at when its restart is due; otherwise the loop's interval (a rollout waiting, a
 * failure to retry, the balancer on its way: never sooner than a second while starting).
 */
export function nextLook(input: {
  replicas: { state: ReplicaState; nextRestartAt: Date | null; startedAt?: Date | null }[];
  /** A container was created or started by this pass. */
  started?: boolean;
  /** The pass acted otherwise and needs a look back soon (e.g. the balancer is on its way). */
  acted: boolean;
  now: Date;
  intervalMs: number;
}): Date {
  const { replicas, now } = input;
  const recheckMs = Math.min(STARTING_RECHECK_MS, input.intervalMs);
  const starting =
    input.started || input.acted || replicas.some((r) => r.state === 'starting' || r.state === 'pending');
  let delayMs = starting ? recheckMs : input.intervalMs;
  if (input.started) delayMs = Math.min(delayMs, FIRST_READINESS_LOOK_MS);
  for (const r of replicas) {
    if (r.state === 'starting' && r.startedAt) {
      const ageMs = Math.max(0, now.getTime() - r.startedAt.getTime());
      delayMs = Math.min(delayMs, Math.max(FIRST_READINESS_LOOK_MS, ageMs / 4));
    }
    if (r.state === 'crashed' && r.nextRestartAt) {
      delayMs = Math.min(delayMs, Math.max(STARTING_RECHECK_MS, r.nextRestartAt.getTime() - now.getTime()));
    }
  }
  return new Date(now.getTime() + delayMs);
}
