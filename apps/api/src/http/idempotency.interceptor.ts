import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { from, lastValueFrom, Observable } from 'rxjs';
import { IdempotencyService, requestFingerprint } from '../../../../libs/apps/index.js';
import type { Principal } from '../../../../libs/identity/index.js';

/** Applies Idempotency-Key semantics to a JSON create route (see IdempotencyService). */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(private readonly idempotency: IdempotencyService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const response = context.switchToHttp().getResponse<Response>();
    const key = request.header('idempotency-key');
    if (!key || !request.principal?.tenantId) return next.handle();
    const fingerprint = requestFingerprint([request.method, request.path, request.body]);
    return from(
      this.idempotency
        .run({ tenantId: request.principal.tenantId, key, fingerprint }, async () => ({
          // Nest sets the route's status after this returns; a replay goes through the same route.
          status: request.method === 'POST' ? 201 : 200,
          body: await lastValueFrom(next.handle()),
        }))
        .then((result) => {
          if (result.replayed) response.setHeader('Idempotent-Replayed', 'true');
          return result.body;
        }),
    );
  }
}
