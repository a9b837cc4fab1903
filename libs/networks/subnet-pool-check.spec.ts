import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { FakeEngine } from '../engine/testing/index.js';
import type { EnginePool, Host } from '../hosts/index.js';
import { SubnetPoolCheck } from './subnet-pool-check.js';
import { parseSubnetPool } from './subnet-pool.js';

// default via eth0; 192.0.2.0/24 dev eth0; 10.8.0.0/16 dev tun0 (a VPN); 10.64.3.0/24 on a Docker bridge.
const ROUTES = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
  'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  'tun0\t0000080A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  'br-0123456789ab\t0003400A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
].join('\n');

describe('SubnetPoolCheck (start-up refusal of an overlapping pool)', () => {
  let dir: string;
  let routesFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-pool-check-'));
    routesFile = path.join(dir, 'route');
    await writeFile(routesFile, ROUTES);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  function check(range: string, engine: FakeEngine, status: Host['status'] = 'ready', database = true) {
    const host = { id: 'h1', name: 'local', status } as Host;
    const engines = { hosts: async () => [host], engineFor: async () => engine } as unknown as EnginePool;
    return new SubnetPoolCheck(
      parseSubnetPool({ range, subnetPrefix: 24 }),
      engines,
      { isInitialized: database } as DataSource,
      routesFile,
    ).onModuleInit();
  }

  it('starts when nothing else uses the range: Docker bridges and Berth tenant networks do not count', async () => {
    const engine = new FakeEngine();
    await engine.ensureNetwork({
      name: 'berth-tenant-t1',
      labels: { 'berth.tenant': 't1' },
      subnet: '10.64.3.0/24',
    });
    await engine.ensureNetwork({ name: 'ops', labels: {}, subnet: '172.20.0.0/16' });
    await expect(check('10.64.0.0/10', engine)).resolves.toBeUndefined();
  });

  it('refuses a range that overlaps a route of the machine, naming both', async () => {
    await expect(check('10.0.0.0/8', new FakeEngine())).rejects.toThrow(
      'BERTH_TENANT_SUBNETS 10.0.0.0/8 overlaps the route 10.8.0.0/16 (dev tun0) of this machine',
    );
    await expect(check('192.0.0.0/22', new FakeEngine())).rejects.toThrow('192.0.2.0/24 (dev eth0)');
  });

  it('refuses a range that overlaps a Docker network of a host that is not a Berth tenant network', async () => {
    const engine = new FakeEngine();
    await engine.ensureNetwork({ name: 'ops', labels: {}, subnet: '10.70.0.0/16' });
    await expect(check('10.64.0.0/10', engine)).rejects.toThrow(
      'BERTH_TENANT_SUBNETS 10.64.0.0/10 overlaps the Docker network ops (10.70.0.0/16) on host local',
    );
    // A host that is down is not asked (the monitor knows it does not answer).
    await expect(check('10.64.0.0/10', engine, 'down')).resolves.toBeUndefined();
  });

  it('checks nothing when Berth runs without a database (the OpenAPI generator reads decorators only)', async () => {
    await expect(check('10.0.0.0/8', new FakeEngine(), 'ready', false)).resolves.toBeUndefined();
  });
});
