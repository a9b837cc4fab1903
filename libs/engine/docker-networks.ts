import type Docker from 'dockerode';
import type { EnsureNetworkOptions, NetworkSummary } from './container-engine.js';
import { dockerCall, dockerCallAbsentOn404, statusOf, toEngineError } from './docker-errors.js';
import { labelFilter } from './docker-images.js';
import { EngineError } from './engine-errors.js';

/**
 * The networks of one Docker Engine (DockerEngine's network methods): creation with explicit IPAM when a
 * subnet is given, concurrent callers of one name sharing one creation, duplicates folded.
 */
export class DockerNetworks {
  /** In-flight ensure calls by name, so concurrent callers share one creation. */
  private readonly creations = new Map<string, Promise<{ id: string }>>();

  constructor(
    private readonly docker: Docker,
    private readonly extraLabels: Record<string, string>,
  ) {}

  ensure(options: EnsureNetworkOptions): Promise<{ id: string }> {
    const inFlight = this.creations.get(options.name);
    if (inFlight) return inFlight;
    const creation = this.ensureNetworkOnce(options).finally(() => this.creations.delete(options.name));
    this.creations.set(options.name, creation);
    return creation;
  }

  private async ensureNetworkOnce(options: EnsureNetworkOptions): Promise<{ id: string }> {
    const existing = await this.findNetworks(options.name);
    if (existing.length > 0) return this.foldDuplicateNetworks(existing);
    try {
      await this.docker.createNetwork({
        Name: options.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Internal: options.internal ?? false,
        Attachable: false,
        Labels: { ...this.extraLabels, ...options.labels },
        ...(options.subnet === undefined
          ? {}
          : { IPAM: { Driver: 'default', Config: [{ Subnet: options.subnet, Gateway: options.gateway }] } }),
      });
    } catch (error) {
      if (statusOf(error) !== 409) throw toEngineError('ensureNetwork', error);
    }
    const created = await this.findNetworks(options.name);
    if (created.length === 0) {
      throw new EngineError({
        operation: 'ensureNetwork',
        message: `network ${options.name} vanished after creation`,
      });
    }
    return this.foldDuplicateNetworks(created);
  }

  /**
   * Docker's CheckDuplicate is not atomic: processes racing to create one name can make several
   * networks. Every call folds them into one survivor (the one containers use, else the oldest) and
   * removes the empty others. Containers join networks by name, which Docker refuses while the name is
   * ambiguous, so a duplicate never gets used and the survivor is the same for every caller.
   */
  private async foldDuplicateNetworks(networks: Docker.NetworkInspectInfo[]): Promise<{ id: string }> {
    if (networks.length === 1) return { id: networks[0]!.Id };
    const detailed = await Promise.all(
      networks.map((network) =>
        dockerCallAbsentOn404('ensureNetwork', () => this.docker.getNetwork(network.Id).inspect()),
      ),
    );
    const present = detailed.filter((network): network is Docker.NetworkInspectInfo => network !== undefined);
    const inUse = (network: Docker.NetworkInspectInfo) => Object.keys(network.Containers ?? {}).length > 0;
    present.sort(
      (a, b) =>
        Number(inUse(b)) - Number(inUse(a)) || a.Created.localeCompare(b.Created) || a.Id.localeCompare(b.Id),
    );
    const [survivor, ...duplicates] = present;
    if (!survivor)
      throw new EngineError({ operation: 'ensureNetwork', message: 'networks vanished while folding' });
    for (const duplicate of duplicates.filter((network) => !inUse(network))) {
      try {
        await this.docker.getNetwork(duplicate.Id).remove();
      } catch {
        // Another caller removed it, or a container just joined it: the next call folds again.
      }
    }
    return { id: survivor.Id };
  }

  async remove(name: string): Promise<void> {
    for (const network of await this.findNetworks(name)) {
      await dockerCallAbsentOn404('removeNetwork', () => this.docker.getNetwork(network.Id).remove());
    }
  }

  async list(labels: Record<string, string>): Promise<NetworkSummary[]> {
    const networks = await dockerCall('listNetworks', () =>
      this.docker.listNetworks({ filters: { label: labelFilter(labels) } }),
    );
    return networks.map(toNetworkSummary);
  }

  async inspect(name: string): Promise<NetworkSummary | undefined> {
    const [network] = await this.findNetworks(name);
    return network && toNetworkSummary(network);
  }

  /** Networks named exactly `name` (the API's name filter also matches substrings). */
  private async findNetworks(name: string): Promise<Docker.NetworkInspectInfo[]> {
    const candidates = await dockerCall('listNetworks', () =>
      this.docker.listNetworks({ filters: { name: [name] } }),
    );
    return candidates.filter((network) => network.Name === name);
  }
}

function toNetworkSummary(network: Docker.NetworkInspectInfo): NetworkSummary {
  return {
    id: network.Id,
    name: network.Name,
    labels: network.Labels ?? {},
    internal: network.Internal,
    ipam: (network.IPAM?.Config ?? [])
      .filter((config) => config.Subnet)
      .map((config) => ({ subnet: config.Subnet!, gateway: config.Gateway || undefined })),
  };
}
