import { isIP } from 'node:net';

/** A Docker Engine address Berth accepts, normalised so that one engine has one spelling. */
export type HostEndpoint =
  | { kind: 'unix'; endpoint: string; socketPath: string }
  | { kind: 'tcp'; endpoint: string; hostname: string; port: number };

/** Host names as DNS allows them (labels of letters, digits and dashes). */
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * Parses `unix:///absolute/path.sock` or `tcp://host:port` (explicit port; host a name, an IPv4 or a
 * bracketed IPv6 address). Returns a reason instead of throwing, so callers choose the error they raise.
 * Nothing else is accepted: no user info, query, fragment or path on tcp, no relative socket path.
 */
export function parseHostEndpoint(raw: string): HostEndpoint | { error: string } {
  if (raw.length > 300) return { error: 'an endpoint has at most 300 characters' };
  if (/[\s\0]/.test(raw)) return { error: 'an endpoint has no whitespace or control characters' };
  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length);
    if (!socketPath.startsWith('/')) return { error: 'a unix endpoint names an absolute socket path' };
    if (socketPath.split('/').some((part) => part === '..' || part === '.')) {
      return { error: 'a unix socket path has no . or .. segments' };
    }
    if (/[?#]/.test(socketPath)) return { error: 'a unix socket path has no ? or #' };
    return { kind: 'unix', endpoint: `unix://${socketPath}`, socketPath };
  }
  if (raw.startsWith('tcp://')) {
    const match = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[^/:?#@[\]]+):(\d{1,5})\/?$/.exec(raw);
    if (!match) return { error: 'a tcp endpoint is tcp://host:port' };
    const port = Number(match[2]);
    if (port < 1 || port > 65535) return { error: 'a tcp port is between 1 and 65535' };
    const bracketed = match[1].startsWith('[');
    const hostname = (bracketed ? match[1].slice(1, -1) : match[1]).toLowerCase();
    if (bracketed ? isIP(hostname) !== 6 : isIP(hostname) !== 4 && !HOSTNAME.test(hostname)) {
      return { error: `'${hostname}' is not a host name or IP address` };
    }
    return {
      kind: 'tcp',
      endpoint: `tcp://${bracketed ? `[${hostname}]` : hostname}:${port}`,
      hostname,
      port,
    };
  }
  return { error: 'an endpoint starts with unix:// or tcp://' };
}
