import crypto from 'node:crypto';
import net from 'node:net';
import type { LoadBalancerSettings } from '../../apps/index.js';

/** One server line: a replica the balancer may send requests to. */
export interface HaproxyBackend {
  /** Stable per replica (so a reload keeps each server's identity): `r-<replica id>`. */
  name: string;
  /** An IP address: the replica's address on the tenant network, or its host's public address. */
  address: string;
  port: number;
}

export interface HaproxyConfigInput {
  settings: LoadBalancerSettings;
  backends: readonly HaproxyBackend[];
  /** The port the balancer listens on inside its container. */
  listenPort: number;
  /**
   * How long an idle client keep-alive connection stays open (default 5000). Keep it below the reconciler's
   * drain delay: after a reload the old worker still routes with the old server list, so a connection it
   * keeps must not outlive the replicas being drained (see idleTimeoutForDrain).
   */
  keepAliveTimeoutMs?: number;
}

/** The client keep-alive timeout for a drain delay: a second shorter, between 1 and 5 seconds. */
export function idleTimeoutForDrain(drainDelayMs: number): number {
  return Math.min(5000, Math.max(1000, drainDelayMs - 1000));
}

/** What a balancer runs with when the API stored only some of the settings (every field is optional there). */
export const DEFAULT_LOAD_BALANCER_SETTINGS: LoadBalancerSettings = {
  algorithm: 'roundrobin',
  healthCheckPath: '/',
  healthCheckIntervalMs: 2000,
};

const ALGORITHMS: ReadonlySet<string> = new Set(['roundrobin', 'leastconn']);
/** Characters kept as they are in the health-check path; everything else is percent-encoded. */
const PATH_CHARACTER = /[A-Za-z0-9._~!*+,;=:@%/-]/;
const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** The stored settings (possibly partial, from an older API) with defaults filled in. */
export function normalizeLoadBalancerSettings(
  stored: Partial<LoadBalancerSettings> | null | undefined,
): LoadBalancerSettings {
  return {
    algorithm: stored?.algorithm ?? DEFAULT_LOAD_BALANCER_SETTINGS.algorithm,
    healthCheckPath: stored?.healthCheckPath ?? DEFAULT_LOAD_BALANCER_SETTINGS.healthCheckPath,
    healthCheckIntervalMs:
      stored?.healthCheckIntervalMs ?? DEFAULT_LOAD_BALANCER_SETTINGS.healthCheckIntervalMs,
  };
}

/**
 * The `global` and `defaults` sections every Berth HAProxy shares (app balancers and the edge router):
 * master-worker reloads that drop nothing (`close-spread-time infinite`, `hard-stop-after` bounding old
 * workers, one thread for the pids limit), logs on stderr, and retries of a refused or unanswered request
 * on another server. The reasons are in docs/architecture.md, "Load balancers".
 */
export function haproxyGlobalAndDefaults(input: {
  maxconn: number;
  keepAliveMs: number;
  checkTimeoutMs: number;
}): string[] {
  return [
    'global',
    '  nbthread 1',
    `  maxconn ${input.maxconn}`,
    '  hard-stop-after 30s',
    '  close-spread-time infinite',
    '  mworker-max-reloads 50',
    '  log stderr format short local0 notice',
    '',
    'defaults',
    '  mode http',
    '  log global',
    '  option httplog',
    '  option dontlognull',
    '  option dontlog-normal',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-request 10s',
    `  timeout http-keep-alive ${input.keepAliveMs}ms`,
    '  timeout queue 5s',
    `  timeout check ${input.checkTimeoutMs}ms`,
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response junk-response',
  ];
}

/**
 * The whole HAProxy configuration of one app's balancer, as a pure function of its settings and backends:
 * the same input always gives the same text (servers sorted by name), so its hash tells whether a reload
 * is needed. Throws RangeError on input that could inject configuration (the API validates too; this is
 * the last line). Choices, each for a failure mode:
 *
 * - `close-spread-time infinite` + `Connection: close` on responses of a stopping worker: after a reload the
 *   old worker neither drops idle keep-alive connections (the client could be sending on one that very
 *   moment) nor keeps them: it answers each client's next request, then closes. HAProxy 2.6 has no
 *   `idle-close-on-response`; this is the same behaviour built from 2.6 keywords. The keep-alive timeout
 *   stays below the drain delay, so that next request still finds the old server list alive.
 * - `hard-stop-after`: an old worker never outlives 30 s of long requests.
 * - Health checks (`inter` from settings, `fall 2`, `rise 1`) plus `observe layer4` take a dead replica
 *   out of rotation within about two intervals; until then `retry-on` + `redispatch` resend a request
 *   whose connection was refused, or that got no answer, to another replica. Only GET and HEAD are resent
 *   once they may have reached a server (`disable-l7-retry` for the rest): a POST is never replayed.
 * - One thread (`nbthread 1`): the container's pids limit counts threads, and an old worker that lingers
 *   after a reload would otherwise hold one thread per host CPU.
 */
export function renderHaproxyConfig(input: HaproxyConfigInput): string {
  const { settings } = input;
  if (!ALGORITHMS.has(settings.algorithm)) {
    throw new RangeError(`algorithm ${JSON.stringify(settings.algorithm)} is not supported`);
  }
  const interval = settings.healthCheckIntervalMs;
  if (!Number.isInteger(interval) || interval < 100 || interval > 3_600_000) {
    throw new RangeError('healthCheckIntervalMs must be an integer between 100 and 3600000');
  }
  assertPort('listenPort', input.listenPort);
  const path = healthCheckUri(settings.healthCheckPath);
  const servers = [...input.backends].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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
  const checkTimeoutMs = Math.min(interval, 2000);
  const keepAlive = input.keepAliveTimeoutMs ?? 5000;
  if (!Number.isInteger(keepAlive) || keepAlive < 100 || keepAlive > 600_000) {
    throw new RangeError('keepAliveTimeoutMs must be an integer between 100 and 600000');
  }

  const lines = [
    ...haproxyGlobalAndDefaults({ maxconn: 1000, keepAliveMs: keepAlive, checkTimeoutMs }),
    '',
    'frontend app',
    `  bind :${input.listenPort}`,
    '  option forwardfor',
    '  http-after-response set-header Connection close if { stopping }',
    '  default_backend replicas',
    '',
    'backend replicas',
    `  balance ${settings.algorithm}`,
    '  option httpchk',
    `  http-check send meth GET uri ${path}`,
    '  http-check expect status 200-399',
    '  http-request disable-l7-retry if !METH_GET !METH_HEAD',
    `  default-server check inter ${interval}ms fall 2 rise 1 observe layer4 error-limit 2 on-error mark-down`,
    ...servers.map((s) => `  server ${s.name} ${hostPort(s.address, s.port)}`),
    '',
  ];
  return lines.join('\n');
}

/** Short, stable fingerprint of a rendered configuration. */
export function configHash(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** An absolute path with every character HAProxy could read as syntax (quotes, `#`, `\`, `$`, spaces) encoded. */
export function healthCheckUri(path: string): string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.length > 200) {
    throw new RangeError('healthCheckPath must be an absolute URL path of at most 200 characters');
  }
  let encoded = '';
  for (const char of path) encoded += PATH_CHARACTER.test(char) ? char : percentEncoded(char);
  return encoded;
}

/** encodeURIComponent leaves `'`, `(` and `)` alone; HAProxy would read the quote. */
function percentEncoded(char: string): string {
  return encodeURIComponent(char).replace(/['()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function hostPort(address: string, port: number): string {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

function assertPort(name: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`${name} is not a port`);
}
