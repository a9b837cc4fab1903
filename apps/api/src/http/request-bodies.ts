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
  const json = bodyParser.json({ limit: JSON_BODY_LIMIT, reviver: refuseLoneSurrogates }) as Middleware;
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

/** A UTF-16 surrogate without its pair: text with no UTF-8 form. */
export const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Refuses (as malformed JSON, 400) a body whose keys or strings hold a lone surrogate (`"\ud800"`), which
 * I-JSON (RFC 7493) forbids: PostgreSQL's json types refuse it, so a stored JSON column would fail the
 * request with a 500, and a text column would keep U+FFFD instead of what was sent.
 */
function refuseLoneSurrogates(key: string, value: unknown): unknown {
  if (LONE_SURROGATE.test(key) || (typeof value === 'string' && LONE_SURROGATE.test(value))) {
    throw new SyntaxError('a string holds a lone surrogate');
  }
  return value;
}
