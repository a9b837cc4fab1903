import type { Request, Response } from 'express';
import { rateLimit, type RateLimitRequestHandler } from 'express-rate-limit';

/**
 * Requests per address per minute on /v1/auth/* (login, signup, refresh): a cheap first wall in front of
 * the bcrypt work. Repeated *failures* are slowed down further by the login backoff in libs/identity.
 */
export function authRateLimit(limitPerMinute: number): RateLimitRequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: limitPerMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_request: Request, response: Response, _next, options) => {
      const retryAfter = Math.ceil(options.windowMs / 1000);
      response
        .status(429)
        .setHeader('Retry-After', String(retryAfter))
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: 'https://berth.dev/problems/rate_limited',
            title: 'Too many requests',
            status: 429,
            code: 'rate_limited',
            detail: `At most ${limitPerMinute} authentication requests per minute from one address`,
            retryAfterSeconds: retryAfter,
          }),
        );
    },
  });
}
