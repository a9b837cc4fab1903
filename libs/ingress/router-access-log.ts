/**
 * The edge router's access lines: what HAProxy writes for each request (on its container's stdout) and
 * the bounded parser that turns one back into a typed record. The router is shared by every tenant, so
 * a line is attributed only by its backend name, which the router configuration sets (`app-<app id>`);
 * everything a client sent (method, path, host) is checked and bounded before it is kept.
 */

/** Marks a router access line; a version in it lets a later format be told apart from this one. */
const TAG = 'berth-router-1';

/**
 * The frontend lines that send each request's access line to the container's stdout, at level info
 * (the shared `defaults` log only errors to stderr): backend, server, status, bytes to the client, bytes
 * from the client, server response time, total active time (ms), request id, method, host, path without
 * its query string (dropped: it can carry tokens, and it is the client's, not the app's, to log).
 * The path comes last, so the parser takes the rest of the line whatever it holds.
 */
export function routerAccessLogLines(): string[] {
  return [
    '  no log',
    '  log stdout format raw local0 info',
    '  no option dontlog-normal',
    `  log-format "${TAG} %b %s %ST %B %U %Tr %Ta %ID %HM %[var(txn.host)] %HP"`,
  ];
}

/** One request through the router, as its access line told it. */
export interface RouterAccessLine {
  appId: string;
  /** HAProxy's server name (`r-<replica id>`), or undefined when no server took the request. */
  server: string | undefined;
  /** -1 when the client went away before a response. */
  status: number;
  /** Bytes sent to the client (headers included). */
  bytesOut: number;
  /** Bytes received from the client (headers included). */
  bytesIn: number;
  /** Time the app took to send its response headers, ms (-1: none came). */
  serviceMs: number;
  /** Time the request was active in the router, ms. */
  totalMs: number;
  requestId: string;
  method: string;
  /** Undefined when the Host header was not a plain hostname. */
  host: string | undefined;
  /** At most MAX_PATH_CHARS characters (cut ones end with `…`). */
  path: string;
}

/** Longer lines are not router access lines (or were made by a hostile client): they are dropped. */
export const MAX_ACCESS_LINE_BYTES = 4096;
export const MAX_PATH_CHARS = 512;

/** App ids are UUIDs; `app-stopped` (the shared 503 backend) is no app. */
const BACKEND = /^app-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const SERVER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const INTEGER = /^-?\d{1,15}$/;
const REQUEST_ID = /^[A-Za-z0-9:_.[\]-]{1,128}$/;
const METHOD = /^[A-Z]{1,16}$/;
const HOST = /^[a-z0-9.-]{1,253}$/;

/**
 * The access line in `text`, or undefined for anything else (HAProxy's own messages, lines of requests
 * no app took: unknown hosts and stopped apps, malformed or oversized lines). Never throws.
 */
export function parseRouterAccessLine(text: string): RouterAccessLine | undefined {
  if (text.length > MAX_ACCESS_LINE_BYTES || !text.startsWith(`${TAG} `)) return undefined;
  const fields: string[] = [];
  let at = TAG.length + 1;
  for (let i = 0; i < 10; i++) {
    const space = text.indexOf(' ', at);
    if (space < 0) return undefined;
    fields.push(text.slice(at, space));
    at = space + 1;
  }
  const [backend, server, status, bytesOut, bytesIn, serviceMs, totalMs, requestId, method, host] = fields;
  const app = BACKEND.exec(backend);
  if (!app || !REQUEST_ID.test(requestId) || !METHOD.test(method)) return undefined;
  const numbers = [status, bytesOut, bytesIn, serviceMs, totalMs];
  if (!numbers.every((n) => INTEGER.test(n))) return undefined;
  const [statusCode, out, received, service, total] = numbers.map(Number);
  const rawPath = text.slice(at);
  return {
    appId: app[1],
    server: SERVER.test(server) ? server : undefined,
    status: statusCode,
    bytesOut: Math.max(0, out),
    bytesIn: Math.max(0, received),
    serviceMs: service,
    totalMs: total,
    requestId,
    method,
    host: HOST.test(host) ? host : undefined,
    path: printable(rawPath.length > MAX_PATH_CHARS ? `${rawPath.slice(0, MAX_PATH_CHARS - 1)}…` : rawPath),
  };
}

/**
 * The line the app's log shows, in the manner of Heroku's router lines: key=value pairs, the path
 * quoted (its quotes and backslashes escaped, so it cannot fake another field).
 */
export function routerLogText(line: RouterAccessLine): string {
  const path = line.path.replace(/["\\]/g, (c) => `\\${c}`);
  return [
    `method=${line.method}`,
    `path="${path}"`,
    `host=${line.host ?? '-'}`,
    `request_id=${line.requestId}`,
    `server=${line.server ?? '-'}`,
    `status=${line.status}`,
    `bytes=${line.bytesOut}`,
    `bytes_in=${line.bytesIn}`,
    `service=${line.serviceMs}ms`,
    `total=${line.totalMs}ms`,
  ].join(' ');
}

/** Control characters (HAProxy escapes most; this is the last line) become `?`. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, '?');
}
