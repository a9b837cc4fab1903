import type { Request } from 'express';

const HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/**
 * `ws://host[:port]` (or `wss://` behind a TLS proxy on loopback: `trust proxy` makes request.protocol
 * https) of the address the caller used, for the URLs of log sessions. A Host header that is not a plain
 * host[:port] falls back to the server's own address.
 */
export function websocketBase(request: Request): string {
  const scheme = request.protocol === 'https' ? 'wss' : 'ws';
  const given = request.get('host') ?? '';
  if (HOST.test(given)) return `${scheme}://${given}`;
  const address = request.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') ? `[${address}]` : address;
  return `${scheme}://${host}:${request.socket.localPort}`;
}
