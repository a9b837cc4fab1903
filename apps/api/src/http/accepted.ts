import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  HttpCode,
  Injectable,
  NestInterceptor,
  UseInterceptors,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiHeader } from '@nestjs/swagger';
import type { Response } from 'express';
import { map, Observable } from 'rxjs';

/** Copies the body's `statusUrl` into the Location header of a 202, so clients poll it. */
@Injectable()
class LocationFromStatusUrl implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const response = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((body: { statusUrl?: string }) => {
        if (body?.statusUrl) response.setHeader('Location', body.statusUrl);
        return body;
      }),
    );
  }
}

/** Long work: 202 with the resource's state, and Location pointing at a status resource to poll. */
export const Accepted = (type: new (...args: never[]) => unknown, description: string) =>
  applyDecorators(
    HttpCode(202),
    UseInterceptors(LocationFromStatusUrl),
    ApiAcceptedResponse({
      type,
      description,
      headers: { Location: { description: 'Poll this until converged', schema: { type: 'string' } } },
    }),
  );

export const IdempotencyKeyHeader = () =>
  ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'Retries with the same key and body replay the first response',
  });

/** Tells a client its retry was answered from the first request's stored response. */
export function markReplayed<T extends { replayed: boolean }>(response: Response, result: T): T {
  if (result.replayed) response.setHeader('Idempotent-Replayed', 'true');
  return result;
}
