import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Request } from 'express';
import { BERTH_CONFIG, type BerthConfig } from '../../../../libs/config/index.js';
import { ProblemError } from '../../../../libs/errors/index.js';
import { EventsService } from '../../../../libs/events/index.js';
import type { Principal } from '../../../../libs/identity/index.js';
import { RefusalWindow } from './refusal-window.js';

/** Windows kept per process: a tenant's keys are bounded by its apps × quotas, this by every tenant's. */
const MAX_WINDOWS = 10_000;

interface Refusal {
  tenantId: string;
  appName: string | undefined;
  quota: string;
  data: Record<string, unknown>;
}

/**
 * A quota refusal changes no row, so no trigger sees it: refusals become `quota.refused` events here, on
 * whichever route refused them, with the limit and figures of the answer. A tenant can send refused
 * requests as fast as it likes, so one tenant, app and quota write at most two events per window
 * (BERTH_QUOTA_EVENT_WINDOW_MS): the first refusal at once, then one carrying how many followed
 * (`data.refusals`). Called by ProblemDetailsFilter, which every error of a route reaches, before it
 * answers: a global interceptor would wrap every request of every route in RxJS observables to see the
 * few that fail this way.
 */
@Injectable()
export class QuotaRefusalEvents implements OnApplicationShutdown {
  private readonly window: RefusalWindow<Refusal>;

  constructor(
    private readonly events: EventsService,
    @Inject(BERTH_CONFIG) config: BerthConfig,
  ) {
    this.window = new RefusalWindow<Refusal>({
      windowMs: config.quotaEventWindowMs,
      maxKeys: MAX_WINDOWS,
      write: (refusal, refusals) => this.write(refusal, refusals),
    });
  }

  /**
   * The event's write when `error` is a tenant's quota refusal that opens a window (it never rejects);
   * undefined when it is not a refusal, or was only counted.
   */
  record(error: unknown, request: Request & { principal?: Principal }): Promise<void> | undefined {
    const tenantId = request.principal?.tenantId;
    if (!(error instanceof ProblemError) || error.code !== 'quota_exceeded' || !tenantId) return undefined;
    const { quota, limit, current, requested, unit } = error.extensions as Record<string, unknown>;
    const appName = typeof request.params?.app === 'string' ? request.params.app : undefined;
    const refusal: Refusal = {
      tenantId,
      appName,
      quota: String(quota),
      data: { quota, limit, current, requested, unit, method: request.method, route: request.route?.path },
    };
    return this.window.record(`${tenantId}\0${appName ?? ''}\0${refusal.quota}`, refusal);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.window.flushAll();
  }

  private write(refusal: Refusal, refusals: number): Promise<void> {
    return this.events
      .emitForAppName({
        tenantId: refusal.tenantId,
        appName: refusal.appName,
        type: 'quota.refused',
        subject: `quota:${refusal.quota}`,
        data: { ...refusal.data, refusals },
      })
      .then(
        () => undefined,
        // The refusal is answered even if the event could not be written.
        () => undefined,
      );
  }
}
