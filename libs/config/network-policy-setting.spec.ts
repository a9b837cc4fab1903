import { canonicalIpv4Cidr, parseEgressDeny, parseNetworkPolicyMode } from './network-policy-setting.js';

describe('BERTH_EGRESS_DENY', () => {
  it('takes comma- or space-separated IPv4 CIDRs, once each', () => {
    expect(parseEgressDeny(undefined)).toEqual([]);
    expect(parseEgressDeny('10.0.0.0/8, 192.168.7.0/24 10.0.0.0/8')).toEqual([
      '10.0.0.0/8',
      '192.168.7.0/24',
    ]);
  });

  it('refuses what is not an IPv4 CIDR instead of guessing', () => {
    expect(() => parseEgressDeny('10.0.0.0')).toThrow('is not an IPv4 CIDR');
    expect(() => parseEgressDeny('10.0.0.0/33')).toThrow('is not an IPv4 CIDR');
    expect(() => parseEgressDeny('256.0.0.0/8')).toThrow('is not an IPv4 CIDR');
    expect(() => parseEgressDeny('fd00::/8')).toThrow('is not an IPv4 CIDR');
    expect(() => parseEgressDeny('10.0.0.1/8')).toThrow('host bits set');
  });

  it('lets nothing but digits, dots and a slash reach the guard (no shell or iptables syntax)', () => {
    for (const hostile of ['10.0.0.0/8;reboot', '10.0.0.0/8 -j ACCEPT', '$(id)', '10.0.0.0/8\n-F']) {
      expect(() => parseEgressDeny(hostile.replace(/ /g, '_'))).toThrow();
    }
    expect(() => canonicalIpv4Cidr('10.0.0.0/8\n-F INPUT', 'x')).toThrow();
  });
});

describe('BERTH_NETWORK_POLICY', () => {
  it('is guard by default, off on request, and refuses anything else', () => {
    expect(parseNetworkPolicyMode(undefined)).toBe('guard');
    expect(parseNetworkPolicyMode('off')).toBe('off');
    expect(() => parseNetworkPolicyMode('no')).toThrow('BERTH_NETWORK_POLICY');
  });
});
