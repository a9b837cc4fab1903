import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { type App, AppsService, Release } from '../apps/index.js';
import { Build } from '../builds/index.js';
import { problems } from '../errors/index.js';
import { type Principal, tenantIdOf } from '../identity/index.js';
import { AppListCache } from './app-list-cache.js';
import { AppOverviewService, type AppOverview } from './app-overview.service.js';

/** Waits one tenant may hold open at once in one API process (each holds a request open). */
export const MAX_WAITS_PER_TENANT = 10;
export const MAX_WAIT_MS = 60_000;
/** A wait checks again at least this often: a build's failure sends no notification, nor a lost one. */
const RECHECK_MS = 1000;

/** What a wait is for: the release of a build, a release by version, or (neither) the app's current one. */
export interface WaitTarget {
  build?: string;
  release?: number;
}

export interface AppWaitResult {
  /** ready: a web replica of the release runs (answers); failed: it never will; timeout: neither yet. */
  outcome: 'ready' | 'failed' | 'timeout';
  reason: string | null;
  releaseVersion: number | null;
  /** The endpoints of the release's running web replicas. */
  endpoints: string[];
  overview: AppOverview;
}

/**
 * GET /v1/apps/{app}/wait: answers once a web replica of the awaited release is ready (what a deploying
 * client polled for), or once that cannot happen, or at the timeout. It re-checks when this process hears
 * a change of the tenant's apps, releases or replicas (AppListCache's channel: the triggers of migration
 * AppListChanges notify on commit, whichever process made the change) and at least every RECHECK_MS.
 */
@Injectable()
export class AppWaits implements BeforeApplicationShutdown {
  private readonly waitsByTenant = new Map<string, number>();
  /** Set when the process closes: open waits answer at once, so the HTTP server is not held by them. */
  private closing = false;
  private readonly wakeOnClose = new Set<() => void>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly apps: AppsService,
    private readonly overviews: AppOverviewService,
    private readonly listCache: AppListCache,
  ) {}

  async wait(p: Principal, name: string, target: WaitTarget, timeoutMs: number): Promise<AppWaitResult> {
    const tenantId = tenantIdOf(p);
    if (target.build !== undefined && target.release !== undefined)
      throw problems.badRequest('wait_target', 'wait for a build or a release, not both');
    await this.apps.get(p, name); // another tenant's app, or none: 404 before any slot is taken
    const held = this.waitsByTenant.get(tenantId) ?? 0;
    if (held >= MAX_WAITS_PER_TENANT) {
      throw problems.tooManyRequests(
        'too_many_waits',
        `at most ${MAX_WAITS_PER_TENANT} waits of one tenant at once`,
        1,
      );
    }
    this.waitsByTenant.set(tenantId, held + 1);
    let changed: boolean;
    let wake: (() => void) | undefined;
    const unsubscribe = this.listCache.onChange((changedTenant) => {
      if (changedTenant !== '' && changedTenant !== tenantId) return;
      changed = true;
      wake?.();
    });
    const wakeForClose = () => wake?.();
    this.wakeOnClose.add(wakeForClose);
    try {
      const deadline = Date.now() + Math.min(timeoutMs, MAX_WAIT_MS);
      for (;;) {
        changed = false;
        const result = await this.check(p, name, target);
        if (result.outcome !== 'timeout' || Date.now() >= deadline || this.closing) return result;
        if (changed) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(RECHECK_MS, deadline - Date.now()));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    } finally {
      unsubscribe();
      this.wakeOnClose.delete(wakeForClose);
      const left = (this.waitsByTenant.get(tenantId) ?? 1) - 1;
      if (left > 0) this.waitsByTenant.set(tenantId, left);
      else this.waitsByTenant.delete(tenantId);
    }
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    for (const wakeWait of this.wakeOnClose) wakeWait();
  }

  /** Where the awaited release stands now ('timeout': not decided yet). */
  private async check(p: Principal, name: string, target: WaitTarget): Promise<AppWaitResult> {
    const app = await this.apps.get(p, name);
    const overview = await this.overviews.overview(app);
    const pending = (reason: string | null, releaseVersion: number | null): AppWaitResult => ({
      outcome: 'timeout',
      reason,
      releaseVersion,
      endpoints: [],
      overview,
    });
    let releaseId: string | null;
    if (target.build !== undefined) {
      const build = await this.dataSource.getRepository(Build).findOne({
        where: { id: target.build, appId: app.id },
        select: { id: true, status: true, error: true, releaseId: true },
      });
      if (!build) throw problems.notFound('build', target.build);
      if (build.status === 'failed' || build.status === 'cancelled') {
        return { ...pending(`build ${build.status}: ${build.error ?? ''}`.trim(), null), outcome: 'failed' };
      }
      releaseId = build.releaseId;
      if (!releaseId) return pending(`build ${build.status}`, null);
    } else if (target.release !== undefined) {
      releaseId = await this.releaseIdOf(app, target.release, overview);
      if (!releaseId) return pending(`release v${target.release} not there yet`, target.release);
    } else {
      releaseId = app.currentReleaseId;
      if (!releaseId) return pending('no release yet', null);
    }
    return decide(app, releaseId, overview);
  }

  private async releaseIdOf(app: App, version: number, overview: AppOverview): Promise<string | null> {
    if (overview.release?.version === version) return overview.release.id;
    const seen = overview.replicas.find((r) => r.releaseVersion === version)?.replica.releaseId;
    if (seen) return seen;
    const release = await this.dataSource
      .getRepository(Release)
      .findOne({ where: { appId: app.id, version }, select: { id: true } });
    return release?.id ?? null;
  }
}

/**
 * Ready once a web replica of the release runs; failed once the app, on this release, is crashlooping or
 * failed, or has moved past it (a newer release, or a rollback away from it).
 */
export function decide(app: App, releaseId: string, overview: AppOverview): AppWaitResult {
  const ofRelease = overview.replicas.filter((r) => r.replica.releaseId === releaseId);
  const version =
    ofRelease[0]?.releaseVersion ?? (overview.release?.id === releaseId ? overview.release.version : null);
  const endpoints = ofRelease
    .filter((r) => r.replica.role === 'web' && r.replica.state === 'running' && r.endpoint)
    .map((r) => r.endpoint!);
  const base = { releaseVersion: version, overview };
  if (endpoints.length > 0) return { ...base, outcome: 'ready', reason: null, endpoints };
  if (app.currentReleaseId === releaseId && (app.phase === 'failed' || app.phase === 'crashloop'))
    return { ...base, outcome: 'failed', reason: app.statusReason ?? app.phase, endpoints: [] };
  const current = overview.release;
  if (app.currentReleaseId !== releaseId && current && version !== null && current.version > version)
    return { ...base, outcome: 'failed', reason: `superseded by release v${current.version}`, endpoints: [] };
  return { ...base, outcome: 'timeout', reason: app.statusReason, endpoints: [] };
}
