import { describe, expect, it } from '@jest/globals';
import { refusedAddress } from './egress-address.js';

const rules = { allowLoopback: false, deniedCidrs: ['198.51.100.0/24', '203.0.113.0/24'] };

describe('webhook egress address rules', () => {
  it.each([['8.8.8.8'], ['1.1.1.1'], ['2606:4700:4700::1111'], ['172.32.0.1'], ['100.128.0.1']])(
    'allows the public address %s',
    (address) => {
      expect(refusedAddress(address, rules)).toBeNull();
    },
  );

  it.each([
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['fd00::1', 'private'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(refusedAddress(address, rules)).toContain(reason);
  });

  it('refuses the cloud metadata address written as IPv4-mapped IPv6 (attack: bypass by notation)', () => {
    expect(refusedAddress('::ffff:169.254.169.254', rules)).toContain('link-local');
    expect(refusedAddress('::ffff:127.0.0.1', rules)).toContain('loopback');
  });

  it('refuses the tenant subnet pool and the denied ranges (attack: reaching another tenant)', () => {
    expect(refusedAddress('198.51.100.7', rules)).toContain('198.51.100.0/24');
    expect(refusedAddress('203.0.113.9', rules)).toContain('203.0.113.0/24');
  });

  it('allows loopback only when tests allow it', () => {
    expect(refusedAddress('127.0.0.1', { ...rules, allowLoopback: true })).toBeNull();
    expect(refusedAddress('::1', { ...rules, allowLoopback: true })).toBeNull();
    expect(refusedAddress('169.254.169.254', { ...rules, allowLoopback: true })).toContain('link-local');
  });

  it('refuses what is not an IP literal', () => {
    expect(refusedAddress('example.com', rules)).toBe('not an IP address');
  });
});
