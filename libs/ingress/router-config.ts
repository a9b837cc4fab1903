import net from 'node:net';
import { isRoutableHostname } from './hostnames.js';
import { routerAccessLogLines } from './router-access-log.js';
import { haproxyGlobalAndDefaults } from '../runtime/index.js';

/** A place the router sends an app's requests: a replica's or balancer's published port on a host. */
export interface RouterServer {
  /** Stable per replica, so a reload keeps each server's identity: `r-<replica id>`. */
  name: string;
  address: string;
  port: number;
}

/** What the router knows of one app. */
export interface RouterRoute {
  appId: string;
  hostnames: readonly string[];
  /** False when the app is stopped (or being deleted): its hostnames answer 503. */
  serving: boolean;
  /** Its balancer when it has one serving, else its running web replicas; empty while none is up. */
  servers: readonly RouterServer[];
}

export interface RouterConfigInput {
  /** Address and port the router listens on for HTTP. */
  listenAddress: string;
  httpPort: number;
  routes: readonly RouterRoute[];
  /** Idle keep-alive of a client connection; below the reconciler's drain delay (see renderRouterConfig). */
  keepAliveTimeoutMs: number;
  /** Active TCP check interval of every server. */
  checkIntervalMs: number;
  /**
   * HTTPS, when there is a port and at least one certificate: one file per hostname (certificateFile),
   * written into the router before the reload; `certificatesHash` changes when any of them does, so a
   * new certificate alone reloads the router. Their hostnames' plain HTTP requests are redirected.
   */
  https?: { port: number; hostnames: readonly string[]; certificatesHash: string };
  /** ACME HTTP-01 challenges in flight, answered on the HTTP port (acmeChallengeRules). */
  acmeChallenges?: readonly AcmeChallengeAnswer[];
}

/** What the router answers to the CA for one HTTP-01 challenge of one hostname. */
export interface AcmeChallengeAnswer {
  hostname: string;
  token: string;
  keyAuthorization: string;
}

/** Where the router finds the certificate (chain + key) of a hostname: its /tmp tmpfs. */
export function certificateFile(hostname: string): string {
  if (!isRoutableHostname(hostname)) throw new RangeError(`hostname ${JSON.stringify(hostname)}`);
  return `/tmp/cert-${hostname}.pem`;
}

const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const APP_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const NOT_FOUND_PAGE =
  '<!doctype html><title>404 Not Found</title><h1>404 Not Found</h1><p>No app answers at this address.</p>';
const STOPPED_PAGE =
  '<!doctype html><title>503 Service Unavailable</title><h1>503 Service Unavailable</h1><p>This app is stopped or has no running replica.</p>';

/**
 * The edge router's whole HAProxy configuration as a pure function of the routing table: the same input
 * gives the same text (routes sorted by app id, hostnames and servers sorted), so its hash tells whether
 * a reload is needed. Throws RangeError on anything that could inject configuration. The router is
 * shared by every tenant, so nothing a tenant sets reaches this text except validated hostnames.
 *
 * - Host routing: the Host header without its port, lower-cased, matched exactly per app; an unknown
 *   host gets a small 404 page, a stopped app (or one with no server up) a 503 page. The latter is
 *   HAProxy's own 503 restyled (`http-error`), not a rule on `nbsrv`: a worker stopping after a reload
 *   counts no usable server while it finishes its last requests, and would answer them 503.
 * - Reloads drop nothing: the same reload behaviour as the app balancers (`close-spread-time infinite`,
 *   `Connection: close` from a stopping worker, keep-alive below the drain delay, `hard-stop-after`).
 * - A replica that goes away between two reloads: TCP checks plus `observe layer4` take it out within about
 *   two intervals, and `retry-on` + `redispatch` resend a refused GET/HEAD to another server meanwhile.
 */
export function renderRouterConfig(input: RouterConfigInput): string {
  if (net.isIP(input.listenAddress) === 0) {
    throw new RangeError(`listenAddress ${JSON.stringify(input.listenAddress)} is not an IP address`);
  }
  assertPort('httpPort', input.httpPort);
  assertRange('keepAliveTimeoutMs', input.keepAliveTimeoutMs, 100, 600_000);
  assertRange('checkIntervalMs', input.checkIntervalMs, 100, 3_600_000);

  const routes = [...input.routes].sort((a, b) => compare(a.appId, b.appId));
  const claimed = new Set<string>();
  for (const route of routes) {
    if (!APP_ID.test(route.appId)) throw new RangeError(`app id ${JSON.stringify(route.appId)}`);
    for (const hostname of route.hostnames) {
      if (!isRoutableHostname(hostname)) throw new RangeError(`hostname ${JSON.stringify(hostname)}`);
      if (claimed.has(hostname)) throw new RangeError(`hostname ${hostname} is routed twice`);
      claimed.add(hostname);
    }
  }

  const https = input.https && input.https.hostnames.length > 0 ? input.https : undefined;
  if (https) {
    assertPort('https.port', https.port);
    if (!/^[0-9a-f]{16,64}$/.test(https.certificatesHash))
      throw new RangeError('certificatesHash is not hex');
  }
  const secured = [...(https?.hostnames ?? [])].sort();
  const routing = [
    // A request id the app and the client both see; made here, never taken from the client.
    '  unique-id-format %{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid',
    '  http-request set-header X-Request-Id %[unique-id]',
    '  http-after-response set-header X-Request-Id %[unique-id]',
    '  option forwardfor',
    '  http-request set-header X-Forwarded-Host %[req.hdr(host)]',
    '  http-request set-var(txn.host) req.hdr(host),field(1,:),lower',
    '  http-after-response set-header Connection close if { stopping }',
    ...routes
      .filter((route) => route.hostnames.length > 0)
      .map(
        (route) =>
          `  use_backend ${backendName(route)} if { var(txn.host) -m str ${[...route.hostnames].sort().join(' ')} }`,
      ),
    '  default_backend unknown-host',
  ];

  const lines = [
    ...(https ? [`# certificates ${https.certificatesHash}`] : []),
    ...haproxyGlobalAndDefaults({
      maxconn: 4000,
      keepAliveMs: input.keepAliveTimeoutMs,
      checkTimeoutMs: 1000,
    }),
    // HAProxy's own 503 (no server up) as the stopped page.
    `  http-error status 503 content-type "text/html" string "${STOPPED_PAGE}"`,
    '',
    'frontend http',
    `  bind ${hostPort(input.listenAddress, input.httpPort)}`,
    ...routerAccessLogLines(),
    '  http-request set-header X-Forwarded-Proto http',
    // Before the redirect: a CA fetches the challenge over plain HTTP, also when renewing.
    ...acmeChallengeRules(input.acmeChallenges ?? []),
    ...(secured.length > 0
      ? [
          `  http-request redirect scheme https code 308 if { req.hdr(host),field(1,:),lower -m str ${secured.join(' ')} }`,
        ]
      : []),
    ...routing,
    '',
    ...(https
      ? [
          'frontend https',
          `  bind ${hostPort(input.listenAddress, https.port)} ssl ${secured.map((h) => `crt ${certificateFile(h)}`).join(' ')} alpn h2,http/1.1`,
          ...routerAccessLogLines(),
          '  http-request set-header X-Forwarded-Proto https',
          ...routing,
          '',
        ]
      : []),
    'backend unknown-host',
    `  http-request return status 404 content-type "text/html" string "${NOT_FOUND_PAGE}"`,
    '',
    'backend app-stopped',
    `  http-request return status 503 content-type "text/html" string "${STOPPED_PAGE}"`,
    '',
  ];
  for (const route of routes) {
    if (!route.serving || route.hostnames.length === 0) continue;
    lines.push(...appBackend(route, input.checkIntervalMs), '');
  }
  return lines.join('\n');
}

const ACME_TOKEN = /^[A-Za-z0-9_-]{16,128}$/;
const ACME_THUMBPRINT = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * One `http-request return` per HTTP-01 challenge: `GET /.well-known/acme-challenge/<token>` for its
 * hostname answers the key authorization, rendered into the configuration (no API in the request path:
 * the router answers the CA on its own, from the text it has loaded). Token and key authorization are
 * base64url (RFC 8555 §8.1, §8.3); anything else is refused, as it would reach the configuration.
 */
export function acmeChallengeRules(challenges: readonly AcmeChallengeAnswer[]): string[] {
  return [...challenges]
    .sort((a, b) => compare(a.token, b.token))
    .map(({ hostname, token, keyAuthorization }) => {
      if (!isRoutableHostname(hostname)) throw new RangeError(`hostname ${JSON.stringify(hostname)}`);
      if (!ACME_TOKEN.test(token)) throw new RangeError(`ACME token ${JSON.stringify(token)}`);
      const [prefix, thumbprint, ...rest] = keyAuthorization.split('.');
      if (prefix !== token || !thumbprint || !ACME_THUMBPRINT.test(thumbprint) || rest.length > 0) {
        throw new RangeError(`ACME key authorization of token ${token}`);
      }
      return (
        `  http-request return status 200 content-type "text/plain" string "${keyAuthorization}"` +
        ` if { path /.well-known/acme-challenge/${token} } { req.hdr(host),field(1,:),lower -m str ${hostname} }`
      );
    });
}

function backendName(route: RouterRoute): string {
  return route.serving ? `app-${route.appId}` : 'app-stopped';
}

function appBackend(route: RouterRoute, checkIntervalMs: number): string[] {
  const servers = [...route.servers].sort((a, b) => compare(a.name, b.name));
  const names = new Set<string>();
  for (const server of servers) {
    if (!SERVER_NAME.test(server.name)) throw new RangeError(`server name ${JSON.stringify(server.name)}`);
    if (names.has(server.name)) throw new RangeError(`server ${server.name} is listed twice`);
    names.add(server.name);
    if (net.isIP(server.address) === 0) {
      throw new RangeError(`server ${server.name}: ${JSON.stringify(server.address)} is not an IP address`);
    }
    assertPort(`server ${server.name} port`, server.port);
  }
  return [
    `backend app-${route.appId}`,
    '  balance roundrobin',
    '  http-request disable-l7-retry if !METH_GET !METH_HEAD',
    `  default-server check inter ${checkIntervalMs}ms fall 2 rise 1 observe layer4 error-limit 2 on-error mark-down`,
    ...servers.map((s) => `  server ${s.name} ${hostPort(s.address, s.port)}`),
  ];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hostPort(address: string, port: number): string {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

function assertPort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`${name} is not a port`);
}

function assertRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer between ${min} and ${max}`);
  }
}
