import { describe, expect, it } from '@jest/globals';
import { planTenantNetwork, type TenantNetworkState } from './tenant-network-plan.js';
import { formatBlock, parseSubnetPool } from './subnet-pool.js';

const pool = parseSubnetPool({ range: '10.64.0.0/16', subnetPrefix: 24 });

function plan(state: Partial<TenantNetworkState>) {
  const result = planTenantNetwork({
    pool,
    recorded: undefined,
    existing: undefined,
    takenByOthers: [],
    hostNetworks: [],
    ...state,
  });
  return 'subnet' in result ? { kind: result.kind, subnet: formatBlock(result.subnet) } : result;
}

describe('planTenantNetwork', () => {
  it('allocates the next free subnet of the pool for a new tenant network', () => {
    expect(plan({ takenByOthers: ['10.64.0.0/24', '10.64.1.0/24'] })).toEqual({
      kind: 'create',
      subnet: '10.64.2.0/24',
    });
  });

  it('leaves a network on its recorded subnet as it is', () => {
    expect(plan({ recorded: '10.64.5.0/24', existing: ['10.64.5.0/24'] })).toEqual({ kind: 'ready' });
  });

  it('creates a network that vanished on its recorded subnet', () => {
    expect(plan({ recorded: '10.64.5.0/24' })).toEqual({ kind: 'create', subnet: '10.64.5.0/24' });
  });

  it('steps around subnets the host already uses for networks Berth does not record', () => {
    expect(
      plan({ takenByOthers: ['10.64.0.0/24'], hostNetworks: ['10.64.1.0/25', '172.17.0.0/16'] }),
    ).toEqual({
      kind: 'create',
      subnet: '10.64.2.0/24',
    });
    // A recorded subnet another network of the host took meanwhile is replaced.
    expect(plan({ recorded: '10.64.0.0/24', hostNetworks: ['10.64.0.0/24'] })).toEqual({
      kind: 'create',
      subnet: '10.64.1.0/24',
    });
  });

  it('adopts an existing network whose subnet is inside the pool and free', () => {
    expect(plan({ existing: ['10.64.9.0/24'], hostNetworks: ['10.64.9.0/24'] })).toEqual({
      kind: 'adopt',
      subnet: '10.64.9.0/24',
    });
    expect(plan({ recorded: '10.64.1.0/24', existing: ['10.64.9.0/26'] })).toEqual({
      kind: 'adopt',
      subnet: '10.64.9.0/26',
    });
  });

  it('recreates an existing network from the daemon pools or on another tenant subnet', () => {
    expect(plan({ existing: ['172.18.0.0/16'], hostNetworks: ['172.18.0.0/16'] })).toEqual({
      kind: 'recreate',
      subnet: '10.64.0.0/24',
    });
    expect(plan({ existing: ['10.64.0.0/24'], takenByOthers: ['10.64.0.0/24'] })).toEqual({
      kind: 'recreate',
      subnet: '10.64.1.0/24',
    });
    expect(plan({ recorded: '10.64.3.0/24', existing: ['172.18.0.0/16'] })).toEqual({
      kind: 'recreate',
      subnet: '10.64.3.0/24',
    });
  });

  it('ignores IPv6 ranges of an existing network', () => {
    expect(plan({ recorded: '10.64.5.0/24', existing: ['10.64.5.0/24', 'fd00:1::/64'] })).toEqual({
      kind: 'ready',
    });
  });

  it('reports an exhausted pool', () => {
    expect(plan({ takenByOthers: ['10.64.0.0/17', '10.64.128.0/17'] })).toEqual({ kind: 'exhausted' });
  });
});
