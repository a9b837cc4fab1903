import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppsRepository, type App } from '../apps/index.js';
import { AuditService } from '../audit/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { problems } from '../errors/index.js';
import { actorOf, tenantIdOf, type Principal } from '../identity/index.js';
import { drainTarget } from './drain-url.js';
import { LogDrain } from './drain.entity.js';
import { DrainsRepository } from './drains.repository.js';

/** Drains per app: each one is a queue and a connection in the forwarding process. */
export const DRAINS_PER_APP = 5;

@Injectable()
export class DrainsService {
  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    private readonly apps: AppsRepository,
    private readonly repository: DrainsRepository,
    private readonly audit: AuditService,
  ) {}

  async list(principal: Principal, appName: string): Promise<LogDrain[]> {
    const app = await this.appOf(principal, appName);
    return this.repository.ofApp(app.id);
  }

  async add(principal: Principal, appName: string, url: string): Promise<LogDrain> {
    const app = await this.appOf(principal, appName);
    this.ownerOrAdmin(principal);
    const checked = drainTarget(url, { allowLoopback: this.config.webhooksAllowLoopback });
    if (checked.problem !== undefined) throw problems.unprocessable('invalid_drain_url', checked.problem);
    const current = await this.repository.countOfApp(app.id);
    if (current >= DRAINS_PER_APP) {
      throw problems.quotaExceeded('drainsPerApp', { limit: DRAINS_PER_APP, current, requested: 1 });
    }
    const drain = Object.assign(new LogDrain(), {
      id: randomUUID(),
      tenantId: app.tenantId,
      appId: app.id,
      url,
      linesSent: 0,
      linesDropped: 0,
      lastError: null,
      lastSentAt: null,
    });
    await this.repository.insert(drain);
    await this.audit.record({
      tenantId: app.tenantId,
      actor: actorOf(principal),
      action: 'drain.create',
      target: `app:${app.name}`,
      data: { drain: drain.id, url: auditableUrl(url) },
    });
    return (await this.repository.oneOfApp(app.id, drain.id)) ?? drain;
  }

  async remove(principal: Principal, appName: string, id: string): Promise<void> {
    const app = await this.appOf(principal, appName);
    this.ownerOrAdmin(principal);
    const drain = await this.repository.oneOfApp(app.id, id);
    if (!drain) throw problems.notFound('drain', id);
    await this.repository.remove(drain.id);
    await this.audit.record({
      tenantId: app.tenantId,
      actor: actorOf(principal),
      action: 'drain.delete',
      target: `app:${app.name}`,
      data: { drain: drain.id, url: auditableUrl(drain.url) },
    });
  }

  /**
   * A drain sends an app's whole log outside Berth: users need owner or admin (as for webhooks); API keys
   * need apps:write, which the route already checked.
   */
  private ownerOrAdmin(principal: Principal): void {
    if (principal.kind === 'user' && principal.role !== 'owner' && principal.role !== 'admin') {
      throw problems.forbidden('Only owners and admins may change log drains');
    }
  }

  private async appOf(principal: Principal, appName: string): Promise<App> {
    const app = await this.apps.findOfTenant(tenantIdOf(principal), appName);
    if (!app) throw problems.notFound('app', appName);
    return app;
  }
}

/** The URL without its path and query, which may carry a token. */
function auditableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return '(invalid)';
  }
}
