import type { ContainerEngine } from './container-engine.js';
import { EngineCapabilityNotSupportedError } from './engine-errors.js';

/**
 * Optional ability, outside the core ContainerEngine: create the one operator-side container Berth runs on
 * a host with host privileges, the network-policy guard (libs/hosts/host-guard.sh). It is not a tenant
 * container and never made from tenant input: a constant image and program, data in env only. What it
 * gets is fixed here, not by the caller: the host's network namespace, CAP_NET_ADMIN and CAP_NET_RAW only
 * (iptables), root uid (iptables refuses others) with no-new-privileges, a read-only root, no host paths,
 * small memory and pids limits, bounded logs, and restart policy unless-stopped, so the engine starts it
 * again after a dockerd restart without Berth. Start, stop, inspect, logs and removal are the core
 * ContainerEngine calls.
 */
export interface HostGuardCapability {
  createHostGuardContainer(spec: HostGuardContainerSpec): Promise<{ id: string }>;
}

export interface HostGuardContainerSpec {
  name: string;
  image: string;
  env: Record<string, string>;
  labels: Record<string, string>;
}

export function hasHostGuardCapability(
  engine: ContainerEngine,
): engine is ContainerEngine & HostGuardCapability {
  return typeof (engine as Partial<HostGuardCapability>).createHostGuardContainer === 'function';
}

/** The host-guard ability of `engine`, or EngineCapabilityNotSupportedError when it has none. */
export function hostGuardCapabilityOf(engine: ContainerEngine): HostGuardCapability {
  if (!hasHostGuardCapability(engine)) {
    throw new EngineCapabilityNotSupportedError({
      capability: 'host-guard',
      engine: engine.constructor.name,
    });
  }
  return engine;
}
