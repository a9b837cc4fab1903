import net from 'node:net';

/**
 * How long a connection must stay open to count. Docker's userland proxy closes a connection it cannot
 * forward as soon as its own connect to the container is refused: 0.08 ms at the median and 3.7 ms at
 * most over 300 connections at load average 15 on the 2-core development machine (bench/README.md,
 * "Where a warm deploy's time goes"), so 100 ms is still ~25 times the worst seen. It was 250 ms, paid by
 * every replica start before it is listed.
 */
export const READINESS_SETTLE_MS = 100;

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
  settleMs = READINESS_SETTLE_MS,
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
