import type { HostStatus } from './host.entity.js';

/** What the monitor tracks about one host (a subset of the Host row). */
export interface HostHealth {
  status: HostStatus;
  /** The operator's choice (ready, cordoned, draining): what `status` is whenever the host answers. */
  adminStatus: HostStatus;
  consecutiveFailures: number;
  lastError: string | null;
}

/** One probe of a host: it answered, or the reason it did not. */
export type HostProbeResult = { ok: true } | { ok: false; error: string };

export interface HostHealthTransition extends HostHealth {
  /** `down` when this probe took the host down, `up` when it brought a down host back, else undefined. */
  event: 'down' | 'up' | undefined;
}

/**
 * The host's health after one probe. Pure. A host is `down` once `threshold` probes in a row have failed
 * (one missed heartbeat is not an outage); the first answer after that puts it back to its admin status
 * and resets the count. Failures below the threshold keep the status as it was and record the error.
 */
export function nextHostHealth(
  current: HostHealth,
  probe: HostProbeResult,
  threshold: number,
): HostHealthTransition {
  if (!Number.isSafeInteger(threshold) || threshold < 1) {
    throw new RangeError(`failure threshold must be a positive integer, got ${threshold}`);
  }
  if (probe.ok) {
    return {
      status: current.adminStatus,
      adminStatus: current.adminStatus,
      consecutiveFailures: 0,
      lastError: null,
      event: current.status === 'down' ? 'up' : undefined,
    };
  }
  const consecutiveFailures = current.consecutiveFailures + 1;
  const down = consecutiveFailures >= threshold;
  return {
    status: down ? 'down' : current.status,
    adminStatus: current.adminStatus,
    consecutiveFailures,
    lastError: probe.error,
    event: down && current.status !== 'down' ? 'down' : undefined,
  };
}
