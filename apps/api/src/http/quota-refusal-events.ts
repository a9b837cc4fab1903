import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ProblemError } from '../../../../libs/errors/index.js';
import { EventsService } from '../../../../libs/events/index.js';
import type { Principal } from '../../../../libs/identity/index.js';

/**
 * A quota refusal changes no row, so no trigger sees it: every refused request of a tenant becomes a
 * `quota.refused` event, on whichever route refused it, with the limit and figures of the answer. Called
 * by ProblemDetailsFilter, which every error of a route reaches, before it answers: a global interceptor
 * would wrap every request of every route in RxJS observables to see the few that fail this way.
 */
@Injectable()
export class QuotaRefusalEvents {
  constructor(private readonly events: EventsService) {}

  /** The event's write when `error` is a tenant's quota refusal (it never rejects), else undefined. */
  record(error: unknown, request: Request & { principal?: Principal }): Promise<void> | undefined {
    const tenantId = request.principal?.tenantId;
    if (!(error instanceof ProblemError) || error.code !== 'quota_exceeded' || !tenantId) return undefined;
    const { quota, limit, current, requested, unit } = error.extensions as Record<string, unknown>;
    const appName = typeof request.params?.app === 'string' ? request.params.app : undefined;
    return this.events
      .emitForAppName({
        tenantId,
        appName,
        type: 'quota.refused',
        subject: `quota:${String(quota)}`,
        data: {
          quota,
          limit,
          current,
          requested,
          unit,
          method: request.method,
          route: request.route?.path,
        },
      })
      .then(
        () => undefined,
        // The refusal is answered even if the event could not be written.
        () => undefined,
      );
  }
}
