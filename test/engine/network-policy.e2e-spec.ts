import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DockerEngine,
  execCapabilityOf,
  hardenedContainerSpec,
  tenantNetworkName,
} from '../../libs/engine/index.js';
import { EnginePool, HostGuard, HostMonitor, hostGuardId, type Host } from '../../libs/hosts/index.js';
import { OPERATOR, login, startTestApi, type Session, type TestApi } from '../support/api.js';
import {
  RUNTIME_IMAGE,
  TEST_DOCKER_ENDPOINT,
  TEST_RUN_LABEL,
  ensureRuntimeImage,
  testRunId,
  waitFor,
} from '../support/docker.js';

/**
 * Berth's network policy on the local host, kept by its host guard (libs/hosts/host-guard.sh), probed from
 * inside tenant containers made by hardenedContainerSpec on tenant networks with subnets of the pool, and
 * from a build container on the same network. Targets are only what this file makes: a TCP listener it
 * binds on 0.0.0.0, a network namespace holding a link-local address and a second address it puts on the
 * deny list, and its own containers. The pool (10.250.0.0/16, outside the default 10.64.0.0/10) is this file's own, so guards of other runs
 * on this machine (which cover their own pools) neither change these probes nor are changed by them.
 */
const POOL = '10.250.0.0/16';
const NET_A = { subnet: '10.250.1.0/24', gateway: '10.250.1.1' };
const NET_B = { subnet: '10.250.2.0/24', gateway: '10.250.2.1' };
const LINK_LOCAL = { host: '169.254.77.2/30', ns: '169.254.77.1/30', target: '169.254.77.1' };
const DENIED = '10.251.77.1';
const NS_PORT = 8099;
const GUARD_IMAGE = 'berth/host-guard:local';

const runId = testRunId();
const short = createHash('sha256').update(runId).digest('hex').slice(0, 6);
const FILE_LABEL = 'berth.test-file';
const engine = new DockerEngine({
  endpoint: TEST_DOCKER_ENDPOINT,
  extraLabels: { [TEST_RUN_LABEL]: runId, [FILE_LABEL]: `network-policy-${runId}` },
});
const exec = execCapabilityOf(engine);
const netns = `berth-np-${runId}`;
const vethHost = `vnp${short}h`;
const vethNs = `vnp${short}n`;
const tenantA = `npa${short}`;
const tenantB = `npb${short}`;

// Connects to every target at once; prints {name: "open" | error code | "timeout"}.
const PROBE = `
const net = require('net');
const targets = JSON.parse(process.env.TARGETS);
Promise.all(Object.entries(targets).map(([name, [host, port]]) => new Promise((done) => {
  const socket = net.connect({ host, port, timeout: 1500 });
  socket.once('connect', () => { socket.destroy(); done([name, 'open']); });
  socket.once('timeout', () => { socket.destroy(); done([name, 'timeout']); });
  socket.once('error', (error) => done([name, error.code || 'error']));
}))).then((results) => console.log(JSON.stringify(Object.fromEntries(results))));
`;
// A probe closes at once: its reset must not kill the server.
const SERVE = `require('net').createServer((s) => { s.on('error', () => {}); s.end('hi'); }).listen(8080, '0.0.0.0');`;
const DNS_AND_HTTPS = `
require('dns').promises.lookup('registry.npmjs.org')
  .then((found) => new Promise((done) => {
    const request = require('https').get('https://registry.npmjs.org/-/ping', (response) => {
      response.resume();
      done({ address: found.address, status: response.statusCode });
    });
    request.on('error', (error) => done({ address: found.address, error: error.message }));
    request.setTimeout(20000, () => request.destroy(new Error('no answer within 20 s')));
  }))
  .catch((error) => ({ error: error.message }))
  .then((result) => console.log(JSON.stringify(result)));
`;

let api: TestApi;
let operator: Session;
let listener: net.Server;
let listenerPort: number;
let nsListener: ChildProcess | undefined;
let host: Host;
const ids: Record<'a1' | 'a2' | 'b1' | 'build', string> = { a1: '', a2: '', b1: '', build: '' };
const addresses: Record<string, string> = {};

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(command: string, args: string[]): void {
  try {
    run(command, args);
  } catch {
    // cleanup of something that may not exist
  }
}

async function ensureGuardImage(): Promise<void> {
  if (await engine.inspectImage({ ref: GUARD_IMAGE })) return;
  await promisify(execFile)('bash', [path.resolve('scripts/build-base-images.sh')], {
    env: { ...process.env, BERTH_VERIFY_REGISTRY: '0' },
    timeout: 300_000,
  });
}

async function startContainer(
  name: keyof typeof ids,
  tenantId: string,
  role: 'web' | 'build',
): Promise<void> {
  const spec = hardenedContainerSpec({
    tenantId,
    appId: `np${short}${name}`,
    appName: 'probe',
    releaseVersion: 1,
    role,
    instance: 'r0',
    image: RUNTIME_IMAGE,
    cmd: ['node', '-e', SERVE],
    env: {},
    plan: { memoryMb: 128, cpuMillis: 500 },
    extraLabels: { [FILE_LABEL]: `network-policy-${runId}` },
  });
  const { id } = await engine.createContainer(spec);
  await engine.startContainer({ id });
  ids[name] = id;
  const details = await engine.inspectContainer({ id });
  addresses[name] = details!.networks[spec.networkName]!.ipAddress;
}

/** Every target, as seen from container `from`. */
async function probe(from: keyof typeof ids): Promise<Record<string, string>> {
  const targets = {
    ownGateway: [NET_A.gateway, listenerPort],
    otherTenantGateway: [NET_B.gateway, listenerPort],
    docker0: ['172.17.0.1', listenerPort],
    linkLocal: [LINK_LOCAL.target, NS_PORT],
    denied: [DENIED, NS_PORT],
    otherTenant: [addresses.b1, 8080],
    sameTenant: [addresses[from === 'a1' ? 'a2' : 'a1'], 8080],
  };
  const result = await exec.execInContainer({
    id: ids[from],
    cmd: ['node', '-e', PROBE],
    env: { TARGETS: JSON.stringify(targets) },
    timeoutMs: 20_000,
  });
  expect(result.exitCode).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, string>;
}

async function policyOf(): Promise<{ networkPolicy: string | null; networkPolicyReason: string | null }> {
  const res = await api.http.get(`/v1/admin/hosts/${host.id}`).set(operator.auth).expect(200);
  return res.body as { networkPolicy: string | null; networkPolicyReason: string | null };
}

function guardChains(): string {
  return run('iptables', ['-w', '-S'])
    .split('\n')
    .filter((line) => line.includes(hostGuardId(host.id)))
    .join('\n');
}

beforeAll(async () => {
  await ensureRuntimeImage(engine);
  await ensureGuardImage();

  listener = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.end('host');
  });
  await new Promise<void>((resolve) => listener.listen(0, '0.0.0.0', resolve));
  listenerPort = (listener.address() as net.AddressInfo).port;

  // A namespace of our own behind a veth pair: a link-local address and an address to deny, each with
  // a listener (the test's own node, run inside the namespace).
  run('ip', ['netns', 'add', netns]);
  run('ip', ['link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethNs]);
  run('ip', ['link', 'set', vethNs, 'netns', netns]);
  run('ip', ['addr', 'add', LINK_LOCAL.host, 'dev', vethHost]);
  run('ip', ['link', 'set', vethHost, 'up']);
  run('ip', ['route', 'add', `${DENIED}/32`, 'dev', vethHost]);
  run('ip', ['-n', netns, 'addr', 'add', LINK_LOCAL.ns, 'dev', vethNs]);
  run('ip', ['-n', netns, 'addr', 'add', `${DENIED}/32`, 'dev', vethNs]);
  run('ip', ['-n', netns, 'link', 'set', vethNs, 'up']);
  run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  nsListener = spawn(
    'ip',
    [
      'netns',
      'exec',
      netns,
      process.execPath,
      '-e',
      SERVE.replace('8080', String(NS_PORT)) + "console.log('up')",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    nsListener!.stdout!.once('data', () => resolve());
    nsListener!.once('exit', (code) => reject(new Error(`namespace listener exited with ${code}`)));
  });

  for (const [tenantId, network] of [
    [tenantA, NET_A],
    [tenantB, NET_B],
  ] as const) {
    await engine.ensureNetwork({
      name: tenantNetworkName(tenantId),
      labels: { 'berth.tenant': tenantId },
      ...network,
    });
  }
  await startContainer('a1', tenantA, 'web');
  await startContainer('a2', tenantA, 'web');
  await startContainer('b1', tenantB, 'web');
  await startContainer('build', tenantA, 'build');

  api = await startTestApi({ networkPolicy: 'guard', tenantSubnets: POOL, egressDeny: [`${DENIED}/32`] });
  operator = await login(api, OPERATOR.email, OPERATOR.password);
  const hosts = await api.app.get(EnginePool).hosts();
  const local = hosts.find((h) => h.endpoint === TEST_DOCKER_ENDPOINT);
  if (local) {
    host = local;
  } else {
    const res = await api.http
      .post('/v1/admin/hosts')
      .set(operator.auth)
      .send({ name: `np-${short}`, endpoint: TEST_DOCKER_ENDPOINT })
      .expect(201);
    host = (await api.app.get(EnginePool).hosts()).find((h) => h.id === res.body.id)!;
  }
}, 120_000);

afterAll(async () => {
  if (api) {
    const guard = api.app.get(HostGuard);
    for (const h of await api.app.get(EnginePool).hosts()) await guard.remove(h).catch(() => undefined);
    await api.close();
  }
  // Chains a killed guard could not remove (never expected: SIGTERM removes them).
  if (host) {
    const id = hostGuardId(host.id);
    for (const chain of ['DOCKER-USER', 'FORWARD'])
      tryRun('iptables', ['-w', '-D', chain, '-s', POOL, '-j', `BERTH-EGRESS-${id}`]);
    tryRun('iptables', ['-w', '-D', 'INPUT', '-s', POOL, '-j', `BERTH-INPUT-${id}`]);
    for (const chain of [`BERTH-EGRESS-${id}`, `BERTH-INPUT-${id}`]) {
      tryRun('iptables', ['-w', '-F', chain]);
      tryRun('iptables', ['-w', '-X', chain]);
    }
  }
  nsListener?.kill('SIGKILL');
  tryRun('ip', ['link', 'del', vethHost]);
  tryRun('ip', ['netns', 'del', netns]);
  listener?.close();
  await engine.removeLabelled({ label: `${FILE_LABEL}=network-policy-${runId}` });
}, 60_000);

describe('network policy kept by the host guard', () => {
  it('without the guard, a tenant container reaches the host, link-local and denied addresses (the probes can fail)', async () => {
    const seen = await probe('a1');
    expect(seen).toMatchObject({
      ownGateway: 'open',
      otherTenantGateway: 'open',
      docker0: 'open',
      linkLocal: 'open',
      denied: 'open',
      sameTenant: 'open',
    });
  });

  it('the monitor places the guard and GET /v1/admin/hosts/{id} reports it applied', async () => {
    const monitor = api.app.get(HostMonitor);
    await waitFor(
      'networkPolicy applied',
      async () => {
        await monitor.probeAll();
        return (await policyOf()).networkPolicy === 'applied';
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(await policyOf()).toEqual(
      expect.objectContaining({ networkPolicy: 'applied', networkPolicyReason: null }),
    );
    const guards = await engine.listContainers({
      labels: { 'berth.role': 'host-guard', 'berth.host-guard': hostGuardId(host.id) },
    });
    expect(guards).toHaveLength(1);
    const details = await engine.inspectContainer({ id: guards[0]!.id });
    expect(details?.resources.readOnlyRootfs).toBe(true);
  });

  it.each(['a1', 'build'] as const)(
    'from %s: host addresses, link-local, denied CIDR and other tenants are unreachable; its own tenant is not',
    async (from) => {
      const seen = await probe(from);
      expect(seen.sameTenant).toBe('open');
      for (const target of [
        'ownGateway',
        'otherTenantGateway',
        'docker0',
        'linkLocal',
        'denied',
        'otherTenant',
      ]) {
        expect([target, seen[target]]).not.toEqual([target, 'open']);
      }
    },
  );

  it("DNS through Docker's resolver and HTTPS to the npm registry still work from a tenant container", async () => {
    const result = await exec.execInContainer({
      id: ids.a1,
      cmd: ['node', '-e', DNS_AND_HTTPS],
      timeoutMs: 30_000,
    });
    const outcome = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as {
      address?: string;
      status?: number;
      error?: string;
    };
    expect(outcome.error).toBeUndefined();
    expect(net.isIP(outcome.address ?? '')).not.toBe(0);
    expect(outcome.status).toBe(200);
  });

  it('puts its jump back when something removes it (as a dockerd restart recreating DOCKER-USER would)', async () => {
    const chain = `BERTH-EGRESS-${hostGuardId(host.id)}`;
    run('iptables', ['-w', '-D', 'DOCKER-USER', '-s', POOL, '-j', chain]);
    await waitFor(
      'the jump to come back',
      async () => {
        try {
          run('iptables', ['-w', '-C', 'DOCKER-USER', '-s', POOL, '-j', chain]);
          return true;
        } catch {
          return false;
        }
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect((await probe('a1')).linkLocal).not.toBe('open');
  });

  it('removing the guard removes its rules, and the probes succeed again', async () => {
    expect(guardChains()).toContain('BERTH-INPUT-');
    await api.app.get(HostGuard).remove(host);
    expect(guardChains()).toBe('');
    const seen = await probe('a1');
    expect(seen).toMatchObject({ ownGateway: 'open', linkLocal: 'open', denied: 'open' });
  });
});
