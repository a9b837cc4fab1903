import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEALTH_CHECK_DEFAULTS, type Release, type ReleasesService } from '../apps/index.js';
import type { Host } from '../hosts/index.js';
import type { ReadinessTarget } from './readiness.js';
import { ReplicaHealth } from './replica-health.js';
import type { Replica } from './replica.entity.js';

/** A health check probes the published port, even when the container's own address is known. */
const target = (port: number): ReadinessTarget => ({
  published: { address: '127.0.0.1', port },
  direct: { address: '127.0.0.1', port: 1 },
  startedAt: new Date(),
});

/** ReplicaHealth against a loopback server and releases served from memory. */
describe('ReplicaHealth', () => {
  let server: http.Server;
  let port: number;
  let status = 200;
  const check = { ...HEALTH_CHECK_DEFAULTS, path: '/healthz', intervalMs: 1000, successThreshold: 2 };
  const releases = [
    { id: 'checked', healthCheck: check },
    { id: 'unchecked', healthCheck: null },
  ] as Release[];
  let reads = 0;
  const health = new ReplicaHealth({
    byIds: async (ids: string[]) => {
      reads += 1;
      return releases.filter((r) => ids.includes(r.id));
    },
  } as unknown as ReleasesService);
  const replica = (id: string, releaseId: string, state: Replica['state'] = 'starting') =>
    ({
      id,
      releaseId,
      state,
      hostId: 'h',
      hostPort: port,
      startedAt: new Date(Date.now() - 10_000),
    }) as Replica;

  beforeAll(async () => {
    server = http.createServer((_req, res) => res.writeHead(status).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('makes a starting replica ready only after successThreshold passes, one probe per interval', async () => {
    const starting = replica('r1', 'checked');
    expect(await health.isReady(target(port), starting)).toBe(false);
    // Not due again within the interval: no second probe, still one pass.
    expect(await health.isReady(target(port), starting)).toBe(false);
    expect(health.recordsById.get('r1')).toMatchObject({ passes: 1, failures: 0 });
    expect(reads).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await health.isReady(target(port), starting)).toBe(true);
  });

  it('probes running replicas with a check and counts failures', async () => {
    status = 500;
    const host = { id: 'h', status: 'ready', publicAddress: '127.0.0.1' } as Host;
    const running = [replica('r2', 'checked', 'running'), replica('r3', 'unchecked', 'running')];
    await health.probeRunning(running, new Map([['h', host]]));
    expect(health.recordsById.get('r2')).toMatchObject({ passes: 0, failures: 1 });
    expect(health.recordsById.has('r3')).toBe(false);
  });

  it('schedules the next look of a settled app at the next due probe, an interval ahead when overdue', () => {
    const now = Date.now();
    expect(health.nextProbeAt([replica('r3', 'unchecked', 'running')], now)).toBeNull();
    const lastProbe = health.recordsById.get('r2')!.lastProbeAt!;
    expect(health.nextProbeAt([replica('r2', 'checked', 'running')], lastProbe + 100)?.getTime()).toBe(
      lastProbe + 1000,
    );
    expect(health.nextProbeAt([replica('r2', 'checked', 'running')], lastProbe + 5000)?.getTime()).toBe(
      lastProbe + 6000,
    );
  });
});
