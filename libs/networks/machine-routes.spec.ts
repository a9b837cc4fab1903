import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { describeRoute, parseProcNetRoute, readMachineRoutes } from './machine-routes.js';

// What `ip route` showed as: default via 192.0.2.1 dev eth0; 172.17.0.0/16 dev docker0;
// 192.0.2.0/24 dev eth0; 10.64.3.0/24 dev br-0123456789ab; 10.8.0.0/16 dev tun0.
const PROC_NET_ROUTE = [
  'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
  'eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0',
  'docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  'br-0123456789ab\t0003400A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0',
  'tun0\t0000080A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
  '',
].join('\n');

describe('machine routes', () => {
  it('reads /proc/net/route without the default route', () => {
    expect(parseProcNetRoute(PROC_NET_ROUTE).map(describeRoute)).toEqual([
      '172.17.0.0/16 (dev docker0)',
      '192.0.2.0/24 (dev eth0)',
      '10.64.3.0/24 (dev br-0123456789ab)',
      '10.8.0.0/16 (dev tun0)',
    ]);
  });

  it('leaves Docker bridges to the engine check', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'berth-routes-'));
    try {
      await writeFile(path.join(dir, 'route'), PROC_NET_ROUTE);
      const routes = await readMachineRoutes(path.join(dir, 'route'));
      expect(routes.map(describeRoute)).toEqual(['192.0.2.0/24 (dev eth0)', '10.8.0.0/16 (dev tun0)']);
      expect(await readMachineRoutes(path.join(dir, 'missing'))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
