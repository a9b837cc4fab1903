import type { Params } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { BerthConfig } from '../../../../libs/config/index.js';

/**
 * The application's JSON logs (stdout when no stream is given) (Nest's logger through nestjs-pino). Credentials and secrets are removed
 * before a line is written: headers, and any field that could hold one. Requests are logged by
 * requestLog (request-log.ts), not by pino-http's per-request middleware, which is mounted on no route:
 * a child logger, serializers and a redaction pass per request cost more than the rest of a cheap read.
 */
export function loggerOptions(config: BerthConfig, stream?: DestinationStream): Params {
  return {
    forRoutes: [],
    pinoHttp: {
      ...(stream ? { stream } : {}),
      level: config.logLevel,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.headers["x-api-key"]',
          'res.headers["set-cookie"]',
          '*.password',
          '*.refreshToken',
          '*.accessToken',
          '*.token',
          '*.secret',
          '*.env',
        ],
        censor: '[redacted]',
      },
    },
  };
}
