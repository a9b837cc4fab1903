import crypto from 'node:crypto';
import os from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { LineBatch, REQUEST_LOG_FLUSH_MS } from './line-batch.js';

const SANE_REQUEST_ID = /^[\w.-]{1,64}$/;

/** The caller's X-Request-Id when it is sane (word characters, dots, dashes, at most 64), else a new one. */
export function requestIdOf(given: string | string[] | undefined): string {
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : crypto.randomUUID();
}

/** The fields of a request's log line; nothing the caller sent beyond method, path and a sane request id. */
export interface RequestLogLine {
  req: { id: string; method: string; path: string };
  res: { statusCode: number };
  responseTime: number;
}

/** What a finished (or abandoned) request is logged with: level and message as pino-http's were. */
export function requestOutcome(statusCode: number, ended: boolean): { level: Level; msg: string } {
  if (statusCode >= 500) return { level: 'error', msg: 'request errored' };
  return { level: 'info', msg: ended ? 'request completed' : 'request aborted' };
}

type Handler = (request: IncomingMessage, response: ServerResponse, next: () => void) => void;

/** The middleware, and `flush()` to write the lines still batched (when the server closes). */
export type RequestLogHandler = Handler & { flush(): void };

/**
 * One JSON line per request when its response ends (or the connection drops first). Built for the hot path:
 * no per-request child logger, no serializers, no redaction pass, since the line holds only fields chosen
 * here (request id, method, the path without its query — query strings can carry log-session tokens —,
 * status, milliseconds). `request.id` is set for error reports made while the request runs. Lines are
 * written in batches, at most `flushMs` late (LineBatch).
 */
export function requestLog(
  destination: DestinationStream,
  level: string,
  flushMs = REQUEST_LOG_FLUSH_MS,
): RequestLogHandler {
  const batch = new LineBatch(destination, flushMs);
  const logger: Logger = pino(
    { level, base: { pid: process.pid, hostname: os.hostname(), service: 'berth-api' } },
    batch,
  );
  const flush = () => batch.flush();
  if (!logger.isLevelEnabled('error'))
    return Object.assign((_request: IncomingMessage, _response: ServerResponse, next: () => void) => next(), {
      flush,
    });
  const handler: Handler = (request, response, next) => {
    const started = performance.now();
    const url = request.url ?? '';
    const id = requestIdOf(request.headers['x-request-id']);
    (request as IncomingMessage & { id?: unknown }).id = id;
    // `on`, not `once`: a response closes once, and `once`'s wrapper (its removal from the listeners of
    // every response) cost ~7 µs per request.
    response.on('close', () => {
      const { level: lineLevel, msg } = requestOutcome(response.statusCode, response.writableEnded);
      if (!logger.isLevelEnabled(lineLevel)) return;
      const query = url.indexOf('?');
      const line: RequestLogLine = {
        req: { id, method: request.method ?? '', path: query === -1 ? url : url.slice(0, query) },
        res: { statusCode: response.statusCode },
        responseTime: Math.round(performance.now() - started),
      };
      logger[lineLevel](line, msg);
    });
    next();
  };
  return Object.assign(handler, { flush });
}
