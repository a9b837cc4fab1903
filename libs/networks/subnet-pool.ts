import ipaddr from 'ipaddr.js';

/**
 * IPv4 CIDR math for tenant subnets. Pure. ipaddr.js parses and prints addresses (strict dotted quads
 * only: no "10.1" or octal forms); the arithmetic is on unsigned 32-bit numbers, which a JS number holds
 * exactly, so a block is just its first address and its prefix length.
 */
export interface Ipv4Block {
  /** First address, as an unsigned 32-bit number. */
  start: number;
  prefix: number;
}

/** The range tenant subnets are cut from, and the prefix length of each one. */
export interface SubnetPool {
  range: Ipv4Block;
  subnetPrefix: number;
}

export class SubnetPoolError extends Error {
  override readonly name = 'SubnetPoolError';
}

/** Docker needs room for the network address, the gateway, broadcast and at least one container. */
export const MAX_SUBNET_PREFIX = 29;

export function blockSize(block: Pick<Ipv4Block, 'prefix'>): number {
  return 2 ** (32 - block.prefix);
}

export function blockEnd(block: Ipv4Block): number {
  return block.start + blockSize(block) - 1;
}

function addressToNumber(text: string): number {
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) throw new SubnetPoolError(`${text} is not an IPv4 address`);
  return ipaddr.IPv4.parse(text)
    .toByteArray()
    .reduce((value, byte) => value * 256 + byte, 0);
}

export function formatAddress(value: number): string {
  const bytes = [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256);
  return ipaddr.fromByteArray(bytes).toString();
}

/** "a.b.c.d/n" with no host bits set (a typo such as 10.64.0.1/10 is refused, not rounded). */
export function parseBlock(text: string): Ipv4Block {
  const match = /^([^/\s]+)\/(\d{1,2})$/.exec(text.trim());
  if (!match) throw new SubnetPoolError(`${text} is not an IPv4 CIDR block (a.b.c.d/n)`);
  const prefix = Number(match[2]);
  if (prefix > 32) throw new SubnetPoolError(`${text}: the prefix length must be 0-32`);
  const start = addressToNumber(match[1]!);
  if (start % blockSize({ prefix }) !== 0) {
    throw new SubnetPoolError(
      `${text} has host bits set (did you mean ${formatBlock(alignDown(start, prefix))}?)`,
    );
  }
  return { start, prefix };
}

function alignDown(address: number, prefix: number): Ipv4Block {
  const size = blockSize({ prefix });
  return { start: Math.floor(address / size) * size, prefix };
}

export function formatBlock(block: Ipv4Block): string {
  return `${formatAddress(block.start)}/${block.prefix}`;
}

export function blocksOverlap(a: Ipv4Block, b: Ipv4Block): boolean {
  return a.start <= blockEnd(b) && b.start <= blockEnd(a);
}

export function blockContains(outer: Ipv4Block, inner: Ipv4Block): boolean {
  return outer.start <= inner.start && blockEnd(inner) <= blockEnd(outer);
}

/** The pool from its settings (BERTH_TENANT_SUBNETS, BERTH_TENANT_SUBNET_PREFIX); throws SubnetPoolError. */
export function parseSubnetPool(settings: { range: string; subnetPrefix: number }): SubnetPool {
  const range = parseBlock(settings.range);
  const { subnetPrefix } = settings;
  if (!Number.isInteger(subnetPrefix) || subnetPrefix < range.prefix || subnetPrefix > MAX_SUBNET_PREFIX) {
    throw new SubnetPoolError(
      `the tenant subnet prefix length must be between the pool's own (/${range.prefix}) and /${MAX_SUBNET_PREFIX}, not ${subnetPrefix}`,
    );
  }
  return { range, subnetPrefix };
}

/** How many tenant subnets the pool holds (each one a (host, tenant) pair: unique across the pool). */
export function subnetCount(pool: SubnetPool): number {
  return 2 ** (pool.subnetPrefix - pool.range.prefix);
}

/** Containers one tenant subnet holds: all addresses but the network's, the broadcast and the gateway. */
export function containersPerSubnet(subnetPrefix: number): number {
  return blockSize({ prefix: subnetPrefix }) - 3;
}

/**
 * The lowest subnet of the pool that overlaps none of `taken` (blocks of any size, inside the pool or
 * not), or `undefined` when the pool is full. Walks the taken blocks in address order, so it costs
 * O(n log n) in what is taken, never in the size of the pool.
 */
export function nextFreeSubnet(pool: SubnetPool, taken: readonly Ipv4Block[]): Ipv4Block | undefined {
  const size = blockSize({ prefix: pool.subnetPrefix });
  const poolEnd = blockEnd(pool.range);
  let candidate = pool.range.start;
  const sorted = taken.filter((block) => blocksOverlap(block, pool.range)).sort((a, b) => a.start - b.start);
  for (const block of sorted) {
    if (candidate + size - 1 < block.start) break;
    if (blockEnd(block) >= candidate) candidate = Math.ceil((blockEnd(block) + 1) / size) * size;
    if (candidate > poolEnd) return undefined;
  }
  return candidate + size - 1 <= poolEnd ? { start: candidate, prefix: pool.subnetPrefix } : undefined;
}

/** The address Berth gives the bridge (the first one after the network address). */
export function gatewayOf(subnet: Ipv4Block): string {
  return formatAddress(subnet.start + 1);
}

/** Whether an existing network's subnet can be kept as a tenant subnet: inside the pool, free, not tiny. */
export function isAdoptable(
  pool: SubnetPool,
  subnet: Ipv4Block,
  takenByOthers: readonly Ipv4Block[],
): boolean {
  return (
    blockContains(pool.range, subnet) &&
    subnet.prefix <= MAX_SUBNET_PREFIX &&
    !takenByOthers.some((block) => blocksOverlap(block, subnet))
  );
}
