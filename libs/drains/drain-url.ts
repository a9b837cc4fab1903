import { isIP } from 'node:net';

export const DRAIN_URL_MAX_LENGTH = 2000;

export type DrainTarget =
  { kind: 'https'; url: URL } | { kind: 'syslog'; host: string; port: number; url: URL };

/**
 * The drain a URL names, or why it cannot be one (same rules as webhooks: libs/webhooks/webhook-url.ts):
 * `https://…` (http to loopback only when allowed, for tests) or `syslog+tls://host:port`; no user:password.
 * Addresses are checked again at every connection (egress-address.ts): a name may resolve anywhere later.
 */
export function drainTarget(
  raw: string,
  options: { allowLoopback: boolean },
): { target: DrainTarget; problem?: undefined } | { target?: undefined; problem: string } {
  if (raw.length > DRAIN_URL_MAX_LENGTH)
    return { problem: `url is longer than ${DRAIN_URL_MAX_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { problem: 'url is not a URL' };
  }
  const scheme = 'url must be https:// or syslog+tls://host:port';
  if (!['https:', 'http:', 'syslog+tls:'].includes(url.protocol)) return { problem: scheme };
  if (url.username || url.password) return { problem: 'url must not carry a user name or password' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!host) return { problem: 'url has no host' };
  const loopbackHost =
    host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (url.protocol === 'https:') return { target: { kind: 'https', url } };
  if (url.protocol === 'http:' && options.allowLoopback && loopbackHost)
    return { target: { kind: 'https', url } };
  if (url.protocol === 'syslog+tls:') {
    if (!url.port) return { problem: 'a syslog+tls url needs a port (syslog+tls://host:6514)' };
    if ((url.pathname && url.pathname !== '/') || url.search || url.hash) {
      return { problem: 'a syslog+tls url is host:port only' };
    }
    return { target: { kind: 'syslog', host, port: Number(url.port), url } };
  }
  return { problem: scheme };
}
