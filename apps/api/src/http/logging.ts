import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Writable } from 'node:stream';
import type { Params } from 'nestjs-pino';
import type { BerthConfig } from '../../../../libs/config/index.js';

/**
 * JSON logs with a request id (the caller's X-Request-Id when it is sane, else a new one). Credentials and
 * secrets are removed before a line is written: headers, and any body field that could hold one.
 */
export function loggerOptions(config: BerthConfig, stream?: Writable): Params {
  return {
    pinoHttp: {
      ...(stream ? { stream } : {}),
      level: config.logLevel,
      genReqId: (request: IncomingMessage) => {
        const given = request.headers['x-request-id'];
        return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID();
      },
      customProps: () => ({ service: 'berth-api' }),
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
      // Query strings can carry log-session tokens; log the path only.
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          path: req.url.split('?')[0],
        }),
      },
    },
  };
}
