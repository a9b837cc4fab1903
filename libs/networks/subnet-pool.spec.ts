import { describe, expect, it } from '@jest/globals';
import {
  SubnetPoolError,
  blocksOverlap,
  containersPerSubnet,
  formatBlock,
  gatewayOf,
  isAdoptable,
  nextFreeSubnet,
  parseBlock,
  parseSubnetPool,
  subnetCount,
} from './subnet-pool.js';

const blocks = (...texts: string[]) => texts.map(parseBlock);
const next = (pool: ReturnType<typeof parseSubnetPool>, ...taken: string[]) => {
  const found = nextFreeSubnet(pool, blocks(...taken));
  return found && formatBlock(found);
};

describe('parseBlock', () => {
  it('reads and prints a.b.c.d/n', () => {
    expect(formatBlock(parseBlock('10.64.0.0/10'))).toBe('10.64.0.0/10');
    expect(formatBlock(parseBlock(' 192.168.255.0/24 '))).toBe('192.168.255.0/24');
    expect(formatBlock(parseBlock('255.255.255.255/32'))).toBe('255.255.255.255/32');
  });

  it.each([
    ['10.64.0.0', 'not an IPv4 CIDR block'],
    ['10.64/10', 'not an IPv4 address'],
    ['010.64.0.0/10', 'not an IPv4 address'],
    ['10.64.0.256/24', 'not an IPv4 address'],
    ['fd00::/8', 'not an IPv4 address'],
    ['10.64.0.0/33', 'prefix length'],
    ['10.64.0.1/10', 'host bits set (did you mean 10.64.0.0/10?)'],
  ])('refuses %s', (text, message) => {
    expect(() => parseBlock(text)).toThrow(SubnetPoolError);
    expect(() => parseBlock(text)).toThrow(message);
  });
});

describe('parseSubnetPool', () => {
  it('counts subnets and containers per subnet', () => {
    const pool = parseSubnetPool({ range: '10.64.0.0/10', subnetPrefix: 24 });
    expect(subnetCount(pool)).toBe(16_384);
    expect(containersPerSubnet(24)).toBe(253);
    expect(containersPerSubnet(27)).toBe(29);
  });

  it.each([9, 30, 24.5])('refuses a subnet prefix of /%s for a /10 pool', (subnetPrefix) => {
    expect(() => parseSubnetPool({ range: '10.64.0.0/10', subnetPrefix })).toThrow(SubnetPoolError);
  });
});

describe('nextFreeSubnet', () => {
  const pool = parseSubnetPool({ range: '10.60.0.0/22', subnetPrefix: 24 });

  it('hands out the lowest free subnet', () => {
    expect(next(pool)).toBe('10.60.0.0/24');
    expect(next(pool, '10.60.0.0/24')).toBe('10.60.1.0/24');
    expect(next(pool, '10.60.1.0/24', '10.60.0.0/24')).toBe('10.60.2.0/24');
  });

  it('fills a hole before the end', () => {
    expect(next(pool, '10.60.0.0/24', '10.60.2.0/24')).toBe('10.60.1.0/24');
  });

  it('skips every subnet a taken block of another size touches', () => {
    expect(next(pool, '10.60.0.128/25')).toBe('10.60.1.0/24');
    expect(next(pool, '10.60.0.0/23')).toBe('10.60.2.0/24');
    expect(next(pool, '10.60.0.0/24', '10.60.1.200/32')).toBe('10.60.2.0/24');
    expect(next(pool, '10.0.0.0/8')).toBeUndefined();
  });

  it('ignores blocks outside the pool', () => {
    expect(next(pool, '172.17.0.0/16', '10.59.255.0/24', '10.60.4.0/24')).toBe('10.60.0.0/24');
  });

  it('answers undefined when the pool is full', () => {
    expect(next(pool, '10.60.0.0/24', '10.60.1.0/24', '10.60.2.0/24', '10.60.3.0/24')).toBeUndefined();
    expect(next(pool, '10.60.0.0/24', '10.60.1.0/24', '10.60.2.0/24', '10.60.3.7/32')).toBeUndefined();
  });

  it('works at the top of the address space', () => {
    const top = parseSubnetPool({ range: '255.255.255.0/24', subnetPrefix: 26 });
    expect(next(top, '255.255.255.0/26', '255.255.255.64/26')).toBe('255.255.255.128/26');
    expect(next(top, '255.255.255.0/25', '255.255.255.128/26')).toBe('255.255.255.192/26');
    expect(next(top, '255.255.255.0/24')).toBeUndefined();
  });

  it('never returns a subnet that overlaps a taken one (random taken sets)', () => {
    const small = parseSubnetPool({ range: '10.60.0.0/20', subnetPrefix: 26 });
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round += 1) {
      const taken = Array.from({ length: Math.floor(random() * 40) }, () => {
        const prefix = 24 + Math.floor(random() * 9);
        const size = 2 ** (32 - prefix);
        const start = small.range.start + Math.floor((random() * 4096) / size) * size;
        return { start, prefix };
      });
      const found = nextFreeSubnet(small, taken);
      const lowestFree = [...Array(64).keys()]
        .map((i) => ({ start: small.range.start + i * 64, prefix: 26 }))
        .find((candidate) => !taken.some((block) => blocksOverlap(block, candidate)));
      expect(found).toEqual(lowestFree);
    }
  });
});

describe('gatewayOf and isAdoptable', () => {
  const pool = parseSubnetPool({ range: '10.64.0.0/10', subnetPrefix: 24 });

  it('puts the gateway on the first host address', () => {
    expect(gatewayOf(parseBlock('10.64.3.0/24'))).toBe('10.64.3.1');
  });

  it('adopts a free subnet inside the pool, of any usable size', () => {
    expect(isAdoptable(pool, parseBlock('10.64.9.0/24'), blocks('10.64.8.0/24'))).toBe(true);
    expect(isAdoptable(pool, parseBlock('10.64.9.0/27'), [])).toBe(true);
  });

  it('refuses one outside the pool, taken by another tenant, or too small for a container', () => {
    expect(isAdoptable(pool, parseBlock('172.18.0.0/16'), [])).toBe(false);
    expect(isAdoptable(pool, parseBlock('10.0.0.0/8'), [])).toBe(false);
    expect(isAdoptable(pool, parseBlock('10.64.9.0/24'), blocks('10.64.9.128/25'))).toBe(false);
    expect(isAdoptable(pool, parseBlock('10.64.9.0/30'), [])).toBe(false);
  });
});
