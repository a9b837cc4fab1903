import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { catchError, from, Observable, switchMap, throwError } from 'rxjs';
import { ProblemError } from '../../../../libs/errors/index.js';
import { EventsService } from '../../../../libs/events/index.js';
import type { Principal } from '../../../../libs/identity/index.js';

/**
 * A quota refusal changes no row, so no trigger sees it: every refused request of a tenant becomes a
 * `quota.refused` event here, on whichever route refused it, with the limit and figures of the answer.
 */
@Injectable()
export class QuotaRefusalEventsInterceptor implements NestInterceptor {
  constructor(private readonly events: EventsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      catchError((error: unknown) => {
        const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
        const tenantId = request.principal?.tenantId;
        if (!(error instanceof ProblemError) || error.code !== 'quota_exceeded' || !tenantId) {
          return throwError(() => error);
        }
        const { quota, limit, current, requested, unit } = error.extensions as Record<string, unknown>;
        const appName = typeof request.params?.app === 'string' ? request.params.app : undefined;
        const recorded = this.events.emitForAppName({
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
        });
        // The refusal is answered even if the event could not be written.
        return from(recorded.catch(() => undefined)).pipe(switchMap(() => throwError(() => error)));
      }),
    );
  }
}
