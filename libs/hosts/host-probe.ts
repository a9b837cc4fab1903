import type { ContainerEngine, EngineInfo } from '../engine/index.js';

/** How long a probe (ping, then info) may take before the host counts as not answering. */
export const DEFAULT_PROBE_TIMEOUT_MS = 5000;

/** The longest error text kept (the hosts.last_error column holds 500 characters). */
const MAX_ERROR_LENGTH = 500;

export type EngineProbe = { ok: true; info: EngineInfo } | { ok: false; error: string };

/**
 * Pings the engine, then reads its info, within `timeoutMs` in all. Never rejects: a host that does not
 * answer is an answer here. The error text is the engine client's (connection refused, TLS handshake,
 * timeout...); it never contains TLS material.
 */
export async function probeEngine(
  engine: ContainerEngine,
  timeoutMs = DEFAULT_PROBE_TIMEOUT_MS,
): Promise<EngineProbe> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    await engine.ping({ signal });
    const info = await withDeadline(engine.info(), signal);
    return { ok: true, info };
  } catch (error) {
    const message = signal.aborted ? `no answer within ${timeoutMs} ms` : errorText(error);
    return { ok: false, error: message.slice(0, MAX_ERROR_LENGTH) };
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `promise`, or a rejection once `signal` fires (info() takes no signal of its own). */
function withDeadline<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
