/**
 * The stable event types a tenant can read, filter on and (later) subscribe to. Most are written by
 * PostgreSQL triggers on the rows that change (migrations/1796600009000-Events.ts), so every code path that
 * changes a build, release, replica, app or domain produces its event in the same transaction; the rest
 * (a quota refusal changes no row) are written by code through EventsService.
 */
export const EVENT_TYPES = [
  'app.created',
  'app.started',
  'app.stopped',
  'app.scaled',
  'app.deleting',
  'app.crashloop',
  'app.failed',
  'app.slept',
  'app.woke',
  'build.queued',
  'build.started',
  'build.succeeded',
  'build.failed',
  'build.cancelled',
  'release.created',
  'rollout.started',
  'rollout.finished',
  'rollout.failed',
  'rollout.rolled_back',
  'replica.started',
  'replica.restarted',
  'replica.crashed',
  'replica.oom_killed',
  'balancer.enabled',
  'balancer.updated',
  'balancer.disabled',
  'domain.added',
  'domain.verified',
  'domain.certificate_updated',
  'domain.removed',
  'quota.refused',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
