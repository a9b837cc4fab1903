import net from 'node:net';
/**
 * Timing and waiting helpers shared by the benchmarks: a monotonic clock, polling, HTTP probes and
 * small statistics. Nothing here knows about Berth or Docker.
 */

/** Milliseconds on a monotonic clock (not wall time: an NTP step cannot skew a measurement). */
export function now(): number {
  return performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `probe` every `intervalMs` until it returns something other than undefined/false; throws after
 * `timeoutMs` with `what` in the message. Both sides of every benchmark poll at the same interval, so the
 * polling granularity costs them the same.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  { timeoutMs, intervalMs = 100 }: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (now() > deadline)
      throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** One GET; `undefined` when the connection fails or times out (a replica still starting). */
export async function httpGet(
  url: string,
  timeoutMs = 2000,
): Promise<{ status: number; text: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text() };
  } catch {
    return undefined;
  }
}

/** True when `url` answers HTTP 200 (and, when given, the body is exactly `body`). */
export async function answers200(url: string, body?: string): Promise<boolean> {
  const res = await httpGet(url);
  return res !== undefined && res.status === 200 && (body === undefined || res.text === body);
}

/** Polls every URL until each has answered 200 once (with `body`, when given). */
export async function waitAll200(
  what: string,
  urls: readonly string[],
  { body, timeoutMs, intervalMs = 100 }: { body?: string; timeoutMs: number; intervalMs?: number },
): Promise<void> {
  const pending = new Set(urls);
  await waitUntil(
    what,
    async () => {
      const results = await Promise.all(
        [...pending].map(async (url) => [url, await answers200(url, body)] as const),
      );
      for (const [url, ok] of results) if (ok) pending.delete(url);
      return pending.size === 0;
    },
    { timeoutMs, intervalMs },
  );
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** Runs `tasks` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  });
  await Promise.all(workers);
  return results;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  return `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

export function formatRate(perSecond: number, unit = 'req/s'): string {
  return `${Math.round(perSecond).toLocaleString('en-US')} ${unit}`;
}

export function formatMb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A TCP port free on 127.0.0.1 right now (for a listener the bench starts next). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Puts an environment variable back as it was (unset when it was). */
export function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
