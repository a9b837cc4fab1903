import net from 'node:net';

/**
 * True when something behind host:port accepts and keeps a connection. A bare TCP connect is not enough:
 * Docker's userland proxy accepts on the published port even while nothing listens inside the container,
 * then closes the connection at once. So a connection counts only if it answers with data or is still open
 * after `settleMs`.
 */
export function acceptsConnections(
  host: string,
  port: number,
  timeoutMs = 1000,
  settleMs = 250,
): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let settled = false;
    const done = (ok: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(settle);
      socket.destroy();
      resolve(ok);
    };
    let settle: NodeJS.Timeout | undefined;
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => {
      settle = setTimeout(() => done(true), settleMs);
    });
    socket.once('data', () => done(true));
    socket.once('close', () => done(false));
    socket.once('error', () => done(false));
  });
}
