import type { IncomingMessage, ServerResponse } from 'node:http';
import bodyParser from 'body-parser';

/** The largest JSON body a route accepts (413 `payload_too_large` above it). */
export const JSON_BODY_LIMIT = '1mb';

type Middleware = (
  request: IncomingMessage,
  response: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Parses JSON and URL-encoded bodies, as Nest's default parsers did (JSON up to JSON_BODY_LIMIT, extended
 * URL-encoded up to body-parser's 100 KB), in one Express layer instead of two. GET and HEAD requests skip
 * both: their bodies mean nothing (RFC 9110), no Berth route reads one, and the parsers' checks
 * (`onFinished`, `hasBody`, their `debug` calls) cost 10–18 µs on every cheap read.
 */
export function requestBodies(): Middleware {
  const json = bodyParser.json({ limit: JSON_BODY_LIMIT }) as Middleware;
  const urlencoded = bodyParser.urlencoded({ extended: true }) as Middleware;
  return (request, response, next) => {
    if (request.method === 'GET' || request.method === 'HEAD') {
      next();
      return;
    }
    json(request, response, (error) =>
      error === undefined ? urlencoded(request, response, next) : next(error),
    );
  };
}
