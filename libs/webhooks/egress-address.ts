import { BlockList, isIP } from 'node:net';

/**
 * Ranges a webhook may never reach: what tenant containers may not reach either (docs/network-policy.md)
 * plus every range that is not the public internet. IPv4-mapped IPv6 (::ffff:a.b.c.d) is checked as IPv4.
 */
const ALWAYS_DENIED: Array<[string, number, 'ipv4' | 'ipv6', string]> = [
  ['0.0.0.0', 8, 'ipv4', 'unspecified'],
  ['10.0.0.0', 8, 'ipv4', 'private'],
  ['100.64.0.0', 10, 'ipv4', 'carrier-grade NAT'],
  ['169.254.0.0', 16, 'ipv4', 'link-local'],
  ['172.16.0.0', 12, 'ipv4', 'private'],
  ['192.0.0.0', 24, 'ipv4', 'IETF protocol assignments'],
  ['192.168.0.0', 16, 'ipv4', 'private'],
  ['198.18.0.0', 15, 'ipv4', 'benchmarking'],
  ['224.0.0.0', 4, 'ipv4', 'multicast'],
  ['240.0.0.0', 4, 'ipv4', 'reserved'],
  ['::', 128, 'ipv6', 'unspecified'],
  ['fc00::', 7, 'ipv6', 'private'],
  ['fe80::', 10, 'ipv6', 'link-local'],
  ['ff00::', 8, 'ipv6', 'multicast'],
  ['64:ff9b::', 96, 'ipv6', 'NAT64'],
];
const LOOPBACK: Array<[string, number, 'ipv4' | 'ipv6']> = [
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
];

export interface EgressRules {
  allowLoopback: boolean;
  /** Extra IPv4 CIDRs denied: the tenant subnet pool and BERTH_EGRESS_DENY. */
  deniedCidrs: string[];
}

function listOf(ranges: Array<[string, number, 'ipv4' | 'ipv6']>): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of ranges) list.addSubnet(network, prefix, family);
  return list;
}

const loopback = listOf(LOOPBACK);
const denied = ALWAYS_DENIED.map(([network, prefix, family, reason]) => ({
  list: listOf([[network, prefix, family]]),
  reason,
}));

/** Null when a webhook may connect to `address` (an IP literal), else why not. */
export function refusedAddress(address: string, rules: EgressRules): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  let ip = address;
  let type: 'ipv4' | 'ipv6' = family === 4 ? 'ipv4' : 'ipv6';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) {
    ip = mapped[1];
    type = 'ipv4';
  }
  if (loopback.check(ip, type)) return rules.allowLoopback ? null : `${address} is loopback`;
  for (const range of denied) if (range.list.check(ip, type)) return `${address} is ${range.reason}`;
  if (type === 'ipv4') {
    for (const cidr of rules.deniedCidrs) {
      const [network, prefix] = cidr.split('/');
      if (!network || isIP(network) !== 4) continue;
      const list = new BlockList();
      list.addSubnet(network, Number(prefix ?? 32), 'ipv4');
      if (list.check(ip, 'ipv4')) return `${address} is in a denied range (${cidr})`;
    }
  }
  return null;
}
