import {
  blocksOverlap,
  isAdoptable,
  nextFreeSubnet,
  parseBlock,
  type Ipv4Block,
  type SubnetPool,
} from './subnet-pool.js';

/**
 * What to do to give one tenant its network on one host. Pure. The caller records `subnet` for the pair
 * (insert, or update a different recorded one) before it touches the engine.
 */
export type TenantNetworkPlan =
  /** The network exists on the recorded subnet. */
  | { kind: 'ready' }
  /** No network: create it on `subnet`. */
  | { kind: 'create'; subnet: Ipv4Block }
  /** Keep the existing network (e.g. made by an older Berth from the daemon's pools): record its subnet. */
  | { kind: 'adopt'; subnet: Ipv4Block }
  /** The existing network's subnet is outside the pool or another tenant's: replace it by one on
   * `subnet` once no container uses it (until then it serves as it is). */
  | { kind: 'recreate'; subnet: Ipv4Block }
  | { kind: 'exhausted' };

export interface TenantNetworkState {
  pool: SubnetPool;
  /** This (host, tenant)'s recorded subnet. */
  recorded: string | undefined;
  /** Subnets of the tenant's network on the host as the engine reports them; undefined: no network. */
  existing: string[] | undefined;
  /** Subnets recorded for every other (host, tenant) pair (the pool is unique across hosts). */
  takenByOthers: string[];
  /** Subnets of the networks on every host of the pool (Docker's, the operator's, another installation's). */
  hostNetworks: string[];
}

const IPV4_CIDR = /^\d+\.\d+\.\d+\.\d+\/\d+$/;

function ipv4Blocks(subnets: readonly string[]): Ipv4Block[] {
  return subnets.filter((subnet) => IPV4_CIDR.test(subnet)).map(parseBlock);
}

export function planTenantNetwork(state: TenantNetworkState): TenantNetworkPlan {
  const recorded = state.recorded === undefined ? undefined : parseBlock(state.recorded);
  const own = state.existing === undefined ? undefined : ipv4Blocks(state.existing);
  const current = own?.length === 1 ? own[0] : undefined;
  if (recorded && current && sameBlock(recorded, current)) return { kind: 'ready' };
  const takenByOthers = ipv4Blocks(state.takenByOthers);
  if (current && isAdoptable(state.pool, current, takenByOthers)) return { kind: 'adopt', subnet: current };
  const hostNetworks = ipv4Blocks(state.hostNetworks).filter(
    (block) => !own?.some((mine) => sameBlock(mine, block)),
  );
  const subnet =
    recorded && !hostNetworks.some((block) => blocksOverlap(block, recorded))
      ? recorded
      : nextFreeSubnet(state.pool, [...takenByOthers, ...hostNetworks, ...(recorded ? [recorded] : [])]);
  if (!subnet) return { kind: 'exhausted' };
  return state.existing === undefined ? { kind: 'create', subnet } : { kind: 'recreate', subnet };
}

function sameBlock(a: Ipv4Block, b: Ipv4Block): boolean {
  return a.start === b.start && a.prefix === b.prefix;
}
