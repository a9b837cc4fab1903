import { describe, expect, it } from '@jest/globals';
import { routingTable, type RoutingRows } from './routing-table.js';

const TENANT = '9f8e2a11-0000-4000-8000-000000000000';
const AWAKE = { sleepAfterIdleSeconds: null, sleepingSince: null };
const rows = (overrides: Partial<RoutingRows> = {}): RoutingRows => ({
  apps: [
    { id: 'app-1', name: 'hello', tenantId: TENANT, desiredState: 'running', deletingAt: null, ...AWAKE },
  ],
  tenantNames: new Map([[TENANT, 'Acme']]),
  replicas: [
    { id: 'w1', appId: 'app-1', role: 'web', hostId: 'h1', hostPort: 30001 },
    { id: 'w2', appId: 'app-1', role: 'web', hostId: 'h2', hostPort: 30002 },
  ],
  hosts: [
    { id: 'h1', publicAddress: '127.0.0.1' },
    { id: 'h2', publicAddress: '192.0.2.7' },
  ],
  domains: [],
  ...overrides,
});

describe('routingTable', () => {
  it("routes an app's default hostname to its running replicas at their hosts' public addresses", () => {
    expect(routingTable(rows(), { routerHostId: 'h1', appsDomain: 'localhost' })).toEqual([
      {
        appId: 'app-1',
        hostnames: ['hello-acme-9f8e2a.localhost'],
        serving: true,
        servers: [
          { name: 'r-w1', address: '127.0.0.1', port: 30001 },
          { name: 'r-w2', address: '192.0.2.7', port: 30002 },
        ],
      },
    ]);
  });

  it('leaves out a server on another host whose public address is loopback (this router cannot reach it)', () => {
    const [route] = routingTable(rows(), { routerHostId: 'h2', appsDomain: 'localhost' });
    expect(route!.servers).toEqual([{ name: 'r-w2', address: '192.0.2.7', port: 30002 }]);
  });

  it('sends an app with a serving balancer to the balancer only', () => {
    const withLb = rows({
      replicas: [
        ...rows().replicas,
        { id: 'lb1', appId: 'app-1', role: 'lb', hostId: 'h1', hostPort: 30009 },
      ],
    });
    const [route] = routingTable(withLb, { routerHostId: 'h1', appsDomain: 'localhost' });
    expect(route!.servers).toEqual([{ name: 'r-lb1', address: '127.0.0.1', port: 30009 }]);
  });

  it('adds verified custom domains to their app', () => {
    const [route] = routingTable(rows({ domains: [{ appId: 'app-1', hostname: 'www.example.com' }] }), {
      routerHostId: 'h1',
      appsDomain: 'localhost',
    });
    expect(route!.hostnames).toEqual(['hello-acme-9f8e2a.localhost', 'www.example.com']);
  });

  it('marks stopped and deleting apps as not serving', () => {
    const apps = [
      { id: 'a', name: 'a', tenantId: TENANT, desiredState: 'stopped', deletingAt: null, ...AWAKE },
      { id: 'b', name: 'b', tenantId: TENANT, desiredState: 'running', deletingAt: new Date(), ...AWAKE },
    ];
    const routes = routingTable(rows({ apps, replicas: [] }), {
      routerHostId: 'h1',
      appsDomain: 'localhost',
    });
    expect(routes.map((r) => r.serving)).toEqual([false, false]);
  });

  describe('scale to zero', () => {
    const waker = { name: 'wake', address: '127.0.0.1', port: 41000 };
    const sleepy = (sleepingSince: Date | null) => [
      { ...rows().apps[0]!, sleepAfterIdleSeconds: 300, sleepingSince },
    ];

    it('sends a sleeping app to the waker, even while a replica of it still runs', () => {
      const [route] = routingTable(rows({ apps: sleepy(new Date()) }), {
        routerHostId: 'h1',
        appsDomain: 'localhost',
        waker,
      });
      expect(route).toMatchObject({ serving: true, servers: [waker] });
    });

    it('keeps a woken app on the waker until a replica runs, then on its replicas', () => {
      const options = { routerHostId: 'h1', appsDomain: 'localhost', waker };
      const [waking] = routingTable(rows({ apps: sleepy(null), replicas: [] }), options);
      expect(waking!.servers).toEqual([waker]);
      const [awake] = routingTable(rows({ apps: sleepy(null) }), options);
      expect(awake!.servers.map((s) => s.name)).toEqual(['r-w1', 'r-w2']);
    });

    it('never sends an app that may not sleep, nor a stopped one, to the waker', () => {
      const options = { routerHostId: 'h1', appsDomain: 'localhost', waker };
      const [plain] = routingTable(rows({ replicas: [] }), options);
      expect(plain!.servers).toEqual([]);
      const stopped = [{ ...sleepy(null)[0]!, desiredState: 'stopped' }];
      const [route] = routingTable(rows({ apps: stopped, replicas: [] }), options);
      expect(route!.serving).toBe(false);
    });
  });
});
