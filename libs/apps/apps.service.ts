import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { BERTH_CONFIG, BERTH_KEYS, type BerthConfig, type BerthKeys } from '../config/index.js';
import { ProblemError, problems } from '../errors/index.js';
import { isUniqueViolation } from '../db/index.js';
import { actorOf, tenantIdOf, type Principal } from '../identity/index.js';
import { TenantPlanRepository } from '../plans/index.js';
import { AppChanges } from './app-changes.js';
import type { App, LoadBalancerSettings } from './app.entity.js';
import { AppsRepository, type DesiredChange } from './apps.repository.js';
import { envVarFaults, maskValue, openEnv, sealEnv, type EnvVars } from './app-env.js';
import { healthCheckFaults, type HealthCheckSettings } from './health-check.js';
import { QuotaService } from './quota.service.js';
import { ReleasesService } from './releases.service.js';

/** The longest idle time before an app sleeps: a week. */
export const MAX_IDLE_SECONDS = 7 * 24 * 3600;

@Injectable()
export class AppsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly appRows: AppsRepository,
    @Inject(BERTH_KEYS) private readonly keys: BerthKeys,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    private readonly quota: QuotaService,
    private readonly tenantPlans: TenantPlanRepository,
    private readonly releases: ReleasesService,
    private readonly audit: AuditService,
    private readonly changes: AppChanges,
  ) {}

  async create(principal: Principal, input: { name: string; replicas?: number }): Promise<App> {
    const tenantId = tenantIdOf(principal);
    try {
      return await this.inTenantTransaction(tenantId, async (manager) => {
        await this.quota.assertCanCreateApp(tenantId, manager);
        const plan = await this.tenantPlans.planOf(tenantId, manager);
        const replicas = input.replicas ?? 1;
        this.quota.assertReplicas(plan, replicas);
        // Its replicas are wanted from now on: counted at the plan's size before its first build.
        await this.quota.assertMemory(
          tenantId,
          null,
          { desiredState: 'running', replicas, loadBalancer: false, releaseMemoryMb: null },
          manager,
        );
        const app = await this.appRows.insert(manager, {
          tenantId,
          name: input.name,
          replicas,
          desiredState: 'running',
        });
        await this.audit.record(
          {
            tenantId,
            actor: actorOf(principal),
            action: 'app.create',
            target: `app:${app.id}`,
            data: { name: app.name, replicas },
          },
          manager,
        );
        return app;
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw problems.conflict('app_exists', `An app named '${input.name}' already exists`);
      throw err;
    }
  }

  /** The caller's app by name; another tenant's app is "not found", exactly like a missing one. */
  async get(
    principal: Principal,
    name: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<App> {
    const app = await this.appRows.findOfTenant(tenantIdOf(principal), name, manager);
    if (!app) throw problems.notFound('app', name);
    return app;
  }

  async scale(principal: Principal, name: string, replicas: number): Promise<App> {
    return this.mutate(principal, name, 'app.scale', { replicas }, async (app, manager) => {
      const plan = await this.tenantPlans.planOf(app.tenantId, manager);
      this.quota.assertReplicas(plan, replicas);
      const before = await this.quota.demandOf(manager, app.id);
      await this.quota.assertMemory(app.tenantId, before, { ...before, replicas }, manager);
      return { replicas };
    });
  }

  async start(principal: Principal, name: string): Promise<App> {
    return this.mutate(principal, name, 'app.start', {}, async (app, manager) => {
      if (!app.currentReleaseId) {
        throw new ProblemError(
          409,
          'no_release',
          'Conflict',
          `App '${name}' has no release yet: upload a build first`,
        );
      }
      const before = await this.quota.demandOf(manager, app.id);
      await this.quota.assertMemory(app.tenantId, before, { ...before, desiredState: 'running' }, manager);
      // A start wakes a sleeping app too.
      return { desiredState: 'running', sleepingSince: null };
    });
  }

  async stop(principal: Principal, name: string): Promise<App> {
    return this.mutate(principal, name, 'app.stop', {}, async () => ({
      desiredState: 'stopped',
      sleepingSince: null,
    }));
  }

  /**
   * Scale to zero: with `afterIdleSeconds` the app sleeps once no request reached it for that long (plans
   * with `scaleToZero` only) and wakes on its next request; with null it never sleeps (and wakes now).
   */
  async setSleep(principal: Principal, name: string, afterIdleSeconds: number | null): Promise<App> {
    const data = { afterIdleSeconds };
    return this.mutate(
      principal,
      name,
      afterIdleSeconds === null ? 'app.sleep.off' : 'app.sleep.set',
      data,
      async (app, manager) => {
        if (afterIdleSeconds === null) return { sleepAfterIdleSeconds: null, sleepingSince: null };
        if (afterIdleSeconds < this.config.sleepMinIdleSeconds || afterIdleSeconds > MAX_IDLE_SECONDS) {
          throw problems.validation([
            {
              field: 'afterIdleSeconds',
              message: `afterIdleSeconds must be between ${this.config.sleepMinIdleSeconds} and ${MAX_IDLE_SECONDS}`,
            },
          ]);
        }
        const plan = await this.tenantPlans.planOf(app.tenantId, manager);
        if (!plan.scaleToZero) {
          throw new ProblemError(
            403,
            'plan_forbids_sleep',
            'Forbidden by plan',
            `Plan '${plan.id}' does not let apps sleep when idle (scale to zero): choose a plan that does`,
          );
        }
        return { sleepAfterIdleSeconds: afterIdleSeconds };
      },
    );
  }

  /**
   * Replaces every replica, one at a time, with a fresh container of the same release. No quota check:
   * the same release at the size it records replaces what runs, so nothing more is wanted.
   */
  async restart(principal: Principal, name: string): Promise<App> {
    return this.mutate(principal, name, 'app.restart', {}, async (app) => {
      if (app.desiredState !== 'running' || !app.currentReleaseId) {
        throw new ProblemError(409, 'not_running', 'Conflict', `App '${name}' is not running`);
      }
      return { restartRequestedAt: new Date() };
    });
  }

  async setLoadBalancer(
    principal: Principal,
    name: string,
    settings: LoadBalancerSettings | null,
  ): Promise<App> {
    return this.mutate(
      principal,
      name,
      settings ? 'app.lb.enable' : 'app.lb.remove',
      { ...(settings ?? {}) },
      async (app, manager) => {
        if (settings) {
          this.quota.assertLoadBalancerAllowed(await this.tenantPlans.planOf(app.tenantId, manager));
          const before = await this.quota.demandOf(manager, app.id);
          await this.quota.assertMemory(app.tenantId, before, { ...before, loadBalancer: true }, manager);
        }
        return { loadBalancer: settings };
      },
    );
  }

  /**
   * Sets (or, with null, removes) the app's health check. The check belongs to a release: with a release in
   * place this makes vN+1 that carries it, rolled out (and judged) like any other.
   */
  async setHealthCheck(principal: Principal, name: string, check: HealthCheckSettings | null): Promise<App> {
    if (check) {
      const faults = healthCheckFaults(check);
      if (faults.length > 0) throw problems.validation(faults);
    }
    return this.inTenantTransaction(tenantIdOf(principal), async (manager) => {
      const app = await this.get(principal, name, manager);
      await this.appRows.setHealthCheck(manager, app.id, check);
      await this.audit.record(
        {
          tenantId: app.tenantId,
          actor: actorOf(principal),
          action: check ? 'app.health_check.set' : 'app.health_check.remove',
          target: `app:${app.id}`,
          data: { ...(check ?? {}) },
        },
        manager,
      );
      if (app.currentReleaseId) {
        await this.releases.createFromConfigChange(manager, app, actorOf(principal), 'health check change');
      }
      await this.changes.notify(app.id, manager);
      return (await this.appRows.byId(app.id, manager))!;
    });
  }

  /** Marks the app for deletion; the reconciler removes its containers, images and blobs, then the rows. */
  async delete(principal: Principal, name: string): Promise<void> {
    await this.mutate(principal, name, 'app.delete', {}, async (app) => ({
      deletingAt: new Date(),
      desiredState: 'stopped',
      // Frees the name at once for a new app while the old one is being cleaned up.
      name: `${app.name}~deleted~${app.id.slice(0, 8)}`.slice(0, 40),
    }));
  }

  maskedEnv(app: App): Record<string, string> {
    const env = openEnv(this.keys.secretBox, app.id, app.envSealed);
    return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, maskValue(value)]));
  }

  /** Replaces the app's env vars; with a release in place this makes a new release (vN+1) that carries them. */
  async putEnv(principal: Principal, name: string, vars: EnvVars): Promise<App> {
    return this.writeEnv(principal, name, () => vars);
  }

  /**
   * Sets some env vars and removes others, keeping the rest: what a CLI's `env set`/`env unset` needs, since
   * reads are masked and a client cannot send the whole set back. Same release rule as putEnv.
   */
  async patchEnv(principal: Principal, name: string, set: EnvVars, unset: string[]): Promise<App> {
    return this.writeEnv(principal, name, (current) => {
      const next = { ...current, ...set };
      for (const key of unset) delete next[key];
      return next;
    });
  }

  private async writeEnv(
    principal: Principal,
    name: string,
    change: (current: EnvVars) => EnvVars,
  ): Promise<App> {
    const result = await this.inTenantTransaction(tenantIdOf(principal), async (manager) => {
      const app = await this.get(principal, name, manager);
      const vars = change(openEnv(this.keys.secretBox, app.id, app.envSealed));
      // Also checked by the API's DTOs; here, on the set as it will be stored, so no caller can keep
      // what a container create would refuse.
      const faults = envVarFaults(vars);
      if (faults.length > 0) throw problems.validation(faults);
      const envSealed = sealEnv(this.keys.secretBox, app.id, vars);
      await this.appRows.setEnv(manager, app.id, envSealed);
      // Keys only: values never reach the audit log.
      await this.audit.record(
        {
          tenantId: app.tenantId,
          actor: actorOf(principal),
          action: 'app.env',
          target: `app:${app.id}`,
          data: { keys: Object.keys(vars).sort() },
        },
        manager,
      );
      const updated = { ...app, envSealed };
      if (app.currentReleaseId) {
        await this.releases.createFromEnvChange(manager, updated, actorOf(principal));
      }
      await this.changes.notify(app.id, manager);
      return (await this.appRows.byId(app.id, manager))!;
    });
    return result;
  }

  /**
   * Sets (or with null clears) the command each next release runs before its replicas start; it wins over
   * package.json's scripts["berth:release"]. Releases already made keep theirs. The command is not
   * audited: it may carry secrets.
   */
  async setReleaseCommand(principal: Principal, name: string, command: string[] | null): Promise<App> {
    return this.dataSource.transaction(async (manager) => {
      const app = await this.get(principal, name, manager);
      await this.appRows.setReleaseCommand(manager, app.id, command);
      await this.audit.record(
        {
          tenantId: app.tenantId,
          actor: actorOf(principal),
          action: command === null ? 'app.release_command.clear' : 'app.release_command.set',
          target: `app:${app.id}`,
        },
        manager,
      );
      return (await this.appRows.byId(app.id, manager))!;
    });
  }

  private async mutate(
    principal: Principal,
    name: string,
    action: string,
    data: Record<string, unknown>,
    change: (app: App, manager: EntityManager) => Promise<DesiredChange>,
  ): Promise<App> {
    const updated = await this.inTenantTransaction(tenantIdOf(principal), async (manager) => {
      const app = await this.get(principal, name, manager);
      const changes = await change(app, manager);
      await this.appRows.markChanged(manager, app, changes);
      await this.audit.record(
        { tenantId: app.tenantId, actor: actorOf(principal), action, target: `app:${app.id}`, data },
        manager,
      );
      await this.changes.notify(app.id, manager);
      return (await this.appRows.byId(app.id, manager))!;
    });
    return updated;
  }

  /** Serialises a tenant's quota-relevant changes: two concurrent scale-ups cannot both slip under a cap. */
  private inTenantTransaction<T>(tenantId: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await this.quota.lockTenant(manager, tenantId);
      return work(manager);
    });
  }
}
