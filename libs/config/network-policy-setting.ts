import net from 'node:net';

/** `guard`: Berth keeps its network policy on every host (libs/hosts/host-guard.ts); `off`: it does not. */
export type NetworkPolicyMode = 'guard' | 'off';

export function parseNetworkPolicyMode(value: string | undefined): NetworkPolicyMode {
  if (value === undefined || value === '' || value === 'guard') return 'guard';
  if (value === 'off') return 'off';
  throw new Error(`BERTH_NETWORK_POLICY must be "guard" or "off", not ${JSON.stringify(value)}`);
}

/**
 * An IPv4 CIDR as the host guard may receive it: four decimal octets, a prefix 0-32, no host bits set
 * (a typo such as 10.0.0.1/8 is refused rather than widened). Returns the canonical text.
 */
export function canonicalIpv4Cidr(text: string, name: string): string {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  const prefix = match ? Number(match[2]) : NaN;
  if (!match || !net.isIPv4(match[1]!) || prefix > 32) {
    throw new Error(`${name}: ${JSON.stringify(text)} is not an IPv4 CIDR such as 10.0.0.0/8`);
  }
  const address = match[1]!.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefix);
  if (address % size !== 0) throw new Error(`${name}: ${text} has host bits set`);
  return `${match[1]!.split('.').map(Number).join('.')}/${prefix}`;
}

/**
 * BERTH_EGRESS_DENY: IPv4 CIDRs (comma- or space-separated) that tenant containers and builds must not
 * reach, e.g. the operator's private infrastructure. Refused at start when one is malformed. IPv6 is
 * refused too: the guard keeps IPv4 rules only (tenant networks have no IPv6).
 */
export function parseEgressDeny(value: string | undefined): string[] {
  const items = (value ?? '').split(/[\s,]+/).filter((item) => item !== '');
  return [...new Set(items.map((item) => canonicalIpv4Cidr(item, 'BERTH_EGRESS_DENY')))];
}
