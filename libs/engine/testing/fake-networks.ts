import ipaddr from 'ipaddr.js';
import { type EnsureNetworkOptions, type NetworkSummary, EngineError } from '../index.js';

/**
 * The networks of one fake engine, with Docker's rules where callers depend on them: one network per
 * name, explicit IPAM kept as given, a subnet that overlaps another network of the host refused (403, as
 * Docker does), and networks without IPAM given a /24 from a default pool of their own (172.30.x.0/24).
 */
export class FakeNetworkStore {
  private readonly networks = new Map<string, NetworkSummary>();
  private nextDefault = 0;

  get(name: string): NetworkSummary | undefined {
    return this.networks.get(name);
  }

  ensure(
    options: EnsureNetworkOptions,
    id: string,
    extraLabels: Record<string, string> = {},
  ): NetworkSummary {
    const existing = this.networks.get(options.name);
    if (existing) return existing;
    const subnet = options.subnet ?? this.defaultSubnet();
    const clash = [...this.networks.values()].find((network) =>
      network.ipam.some((config) => cidrsOverlap(config.subnet, subnet)),
    );
    if (clash) {
      throw new EngineError({
        operation: 'ensureNetwork',
        statusCode: 403,
        message: 'Pool overlaps with other one on this address space',
      });
    }
    const gateway = options.gateway ?? firstHost(subnet);
    const network: NetworkSummary = {
      id,
      name: options.name,
      labels: { ...extraLabels, ...options.labels },
      internal: options.internal ?? false,
      ipam: [{ subnet, gateway }],
    };
    this.networks.set(options.name, network);
    return network;
  }

  delete(name: string): void {
    this.networks.delete(name);
  }

  list(filter: (network: NetworkSummary) => boolean): NetworkSummary[] {
    return [...this.networks.values()].filter(filter);
  }

  private defaultSubnet(): string {
    for (;;) {
      const subnet = `172.30.${this.nextDefault % 256}.0/24`;
      this.nextDefault += 1;
      const used = [...this.networks.values()].some((n) =>
        n.ipam.some((c) => cidrsOverlap(c.subnet, subnet)),
      );
      if (!used) return subnet;
      if (this.nextDefault > 512) {
        throw new EngineError({
          operation: 'ensureNetwork',
          statusCode: 400,
          message: 'could not find an available, non-overlapping IPv4 address pool among the defaults',
        });
      }
    }
  }
}

function cidrsOverlap(a: string, b: string): boolean {
  const rangeA = ipaddr.parseCIDR(a);
  const rangeB = ipaddr.parseCIDR(b);
  if (rangeA[0].kind() !== rangeB[0].kind()) return false;
  // Both of one kind (the casts only pick one of ipaddr.js's two identical signatures).
  const contains = (range: typeof rangeA, other: typeof rangeA) =>
    (other[0] as ipaddr.IPv4).match(range as [ipaddr.IPv4, number]);
  return contains(rangeA, rangeB) || contains(rangeB, rangeA);
}

function firstHost(subnet: string): string {
  const bytes = ipaddr.parseCIDR(subnet)[0].toByteArray();
  bytes[bytes.length - 1]! += 1;
  return ipaddr.fromByteArray(bytes).toString();
}
