import { Injectable } from '@nestjs/common';
import { type Principal, tenantIdOf } from '../identity/index.js';
import { limitsOf } from '../plans/index.js';
import type { AppSummary } from './app-list-rows.js';
import { AppListCache } from './app-list-cache.js';
import { AppOverviewService, type AppOverview } from './app-overview.service.js';
import {
  type EnvVars,
  HEALTH_CHECK_DEFAULTS,
  type HealthCheckSettings,
  type LoadBalancerSettings,
  type Release,
  AppsService,
  QuotaService,
  ReleasesService,
} from '../apps/index.js';

export const DEFAULT_LOAD_BALANCER: LoadBalancerSettings = {
  algorithm: 'roundrobin',
  healthCheckPath: '/',
  healthCheckIntervalMs: 2000,
};

/** What the HTTP edge calls: each method one use case, returning what the views need. */
@Injectable()
export class AppsFacade {
  constructor(
    private readonly apps: AppsService,
    private readonly overviews: AppOverviewService,
    private readonly releasesService: ReleasesService,
    private readonly quotas: QuotaService,
    private readonly listCache: AppListCache,
  ) {}

  async create(p: Principal, input: { name: string; replicas?: number }): Promise<AppOverview> {
    return this.overviews.overview(await this.apps.create(p, input));
  }

  list(p: Principal): Promise<AppSummary[]> {
    const tenantId = tenantIdOf(p);
    return this.listCache.list(tenantId, () => this.overviews.listOfTenant(tenantId));
  }

  async describe(p: Principal, name: string): Promise<AppOverview> {
    return this.overviews.overview(await this.apps.get(p, name));
  }

  async scale(p: Principal, name: string, replicas: number): Promise<AppOverview> {
    return this.overviews.overview(await this.apps.scale(p, name, replicas));
  }

  async start(p: Principal, name: string): Promise<AppOverview> {
    return this.overviews.overview(await this.apps.start(p, name));
  }

  async stop(p: Principal, name: string): Promise<AppOverview> {
    return this.overviews.overview(await this.apps.stop(p, name));
  }

  async restart(p: Principal, name: string): Promise<AppOverview> {
    return this.overviews.overview(await this.apps.restart(p, name));
  }

  delete(p: Principal, name: string): Promise<void> {
    return this.apps.delete(p, name);
  }

  async maskedEnv(p: Principal, name: string): Promise<Record<string, string>> {
    return this.apps.maskedEnv(await this.apps.get(p, name));
  }

  async putEnv(p: Principal, name: string, vars: EnvVars): Promise<AppOverview> {
    return this.overviews.overview(await this.apps.putEnv(p, name, vars));
  }

  async patchEnv(p: Principal, name: string, set: EnvVars, unset: string[]): Promise<AppOverview> {
    return this.overviews.overview(await this.apps.patchEnv(p, name, set, unset));
  }

  async releases(
    p: Principal,
    name: string,
  ): Promise<{ releases: Release[]; currentReleaseId: string | null }> {
    const app = await this.apps.get(p, name);
    return { releases: await this.releasesService.list(app), currentReleaseId: app.currentReleaseId };
  }

  async rollback(p: Principal, name: string, version: number): Promise<AppOverview> {
    const app = await this.apps.get(p, name);
    await this.releasesService.rollback(p, app, version);
    return this.overviews.overview(await this.apps.get(p, name));
  }

  async setLoadBalancer(
    p: Principal,
    name: string,
    settings: Partial<LoadBalancerSettings> | null,
  ): Promise<AppOverview> {
    const full = settings ? { ...DEFAULT_LOAD_BALANCER, ...settings } : null;
    return this.overviews.overview(await this.apps.setLoadBalancer(p, name, full));
  }

  /** Sets the app's health check (defaults for what `settings` leaves out), or removes it with null. */
  async setHealthCheck(
    p: Principal,
    name: string,
    settings: (Partial<HealthCheckSettings> & { path: string }) | null,
  ): Promise<AppOverview> {
    const given = Object.entries(settings ?? {}).filter(([, value]) => value !== undefined);
    const full = settings
      ? { ...HEALTH_CHECK_DEFAULTS, ...Object.fromEntries(given), path: settings.path }
      : null;
    return this.overviews.overview(await this.apps.setHealthCheck(p, name, full));
  }

  /** Scale to zero after `afterIdleSeconds` without a request, or never with null. */
  async setSleep(p: Principal, name: string, afterIdleSeconds: number | null): Promise<AppOverview> {
    return this.overviews.overview(await this.apps.setSleep(p, name, afterIdleSeconds));
  }

  async quota(p: Principal) {
    const { plan, usage } = await this.quotas.quotaOf(tenantIdOf(p));
    return {
      planId: plan.id,
      limits: limitsOf(plan),
      usage: { ...usage },
    };
  }
}
