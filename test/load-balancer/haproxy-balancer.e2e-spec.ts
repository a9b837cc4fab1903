import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  EngineCapabilityNotSupportedError,
  execCapabilityOf,
  FakeEngine,
  tenantNetworkName,
  type ContainerEngine,
} from '../../libs/engine/index.js';
import { ContainerHaproxyControl } from '../../libs/runtime/balancer/haproxy-control.js';
import {
  configHash,
  renderHaproxyConfig,
  type HaproxyBackend,
} from '../../libs/runtime/balancer/haproxy-config.js';
import {
  appliedHashOf,
  applyHaproxyConfig,
  ConfigRejectedError,
  configFileText,
  HAPROXY_FILES,
  ReloadFailedError,
} from '../../libs/runtime/balancer/haproxy-reload.js';
import { loadBalancerContainerSpec } from '../../libs/runtime/balancer/load-balancer-container.js';
import { acceptsConnections } from '../../libs/runtime/readiness.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, uniqueId, waitFor } from '../support/docker.js';
import { startTenantContainer } from '../engine/tenant-containers.js';
import { ensureHaproxyImage, report, startLoad } from './load.js';

const settings = { algorithm: 'roundrobin' as const, healthCheckPath: '/', healthCheckIntervalMs: 500 };
/** Status of a GET, with the body read so the connection goes back to the pool (and can close). */
async function status(url: string): Promise<number> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  await res.text();
  return res.status;
}

const SERVER = `require('http').createServer((q, r) => r.end(process.env.HOSTNAME)).listen(8080)`;

/**
 * The balancer container and its reload sequence on the real HAProxy image, without the API: exec into the
 * hardened container, validate with `haproxy -c`, reload under load without a failed request, refuse a bad
 * configuration, restore the previous one when the master cannot load a new one.
 */
describe('HAProxy balancer container on real Docker', () => {
  const engine = testEngine();
  const tenantId = uniqueId('lbt');
  let backends: HaproxyBackend[];
  let lbId: string;
  let lbUrl: string;
  let control: ContainerHaproxyControl;
  let applies = 0;

  const apply = (servers: HaproxyBackend[]) => {
    const text = renderHaproxyConfig({ settings, backends: servers, listenPort: 8080 });
    applies += 1;
    return applyHaproxyConfig(control, { text, hash: configHash(text), marker: `test-apply ${applies}` });
  };

  beforeAll(async () => {
    await ensureRuntimeImage(engine);
    await ensureHaproxyImage(engine);
    const appId = uniqueId('app');
    backends = [];
    for (const instance of ['b1', 'b2']) {
      const id = await startTenantContainer(engine, {
        tenantId,
        appId,
        instance,
        cmd: ['node', '-e', SERVER],
        containerPort: 8080,
      });
      const details = await engine.inspectContainer({ id });
      backends.push({
        name: `r-${instance}`,
        address: details!.networks[tenantNetworkName(tenantId)]!.ipAddress,
        port: 8080,
      });
    }
    const text = renderHaproxyConfig({ settings, backends: backends.slice(0, 1), listenPort: 8080 });
    const spec = loadBalancerContainerSpec({
      tenantId,
      appId,
      appName: 'probe',
      replicaId: 'r-lb',
      instance: 'lb0',
      configFile: configFileText({ text, hash: configHash(text), marker: 'test-start' }),
      plan: { memoryMb: 128, cpuMillis: 500 },
      port: 8080,
      publishAddress: '127.0.0.1',
    });
    ({ id: lbId } = await engine.createContainer(spec));
    await engine.startContainer({ id: lbId });
    const port = (await engine.inspectContainer({ id: lbId }))!.ports.find((p) => p.containerPort === 8080)!;
    lbUrl = `http://127.0.0.1:${port.hostPort}/`;
    await waitFor('the balancer to listen', () => acceptsConnections('127.0.0.1', port.hostPort, 500));
    await waitFor('the first backend to answer', async () => (await status(lbUrl)) === 200, {
      timeoutMs: 20_000,
    });
    control = new ContainerHaproxyControl(engine, lbId);
  }, 300_000);

  afterAll(async () => {
    await cleanupTestRun(engine);
  }, 120_000);

  it('runs hardened: uid 10002, read-only root, every capability dropped', async () => {
    const details = await engine.inspectContainer({ id: lbId });
    expect(details?.resources).toMatchObject({ user: '10002:10002', readOnlyRootfs: true });
    const status = await execCapabilityOf(engine).execInContainer({
      id: lbId,
      cmd: [
        'sh',
        '-c',
        'while read -r k v; do case "$k" in Uid:|CapEff:) echo "$k $v";; esac; done < /proc/self/status',
      ],
    });
    expect(status.stdout).toMatch(/^Uid:\s+10002\s/m);
    expect(status.stdout).toMatch(/^CapEff:\s+0+$/m);
  });

  it.each([
    ['two servers, round robin', () => ({ settings, backends })],
    ['no server at all', () => ({ settings, backends: [] })],
    [
      'leastconn, an IPv6 server and a health path full of syntax',
      () => ({
        settings: {
          algorithm: 'leastconn' as const,
          healthCheckPath: "/h'e a#l$t(h)\\",
          healthCheckIntervalMs: 60_000,
        },
        backends: [{ name: 'r-v6', address: 'fd00::5', port: 8080 }],
      }),
    ],
  ])('renders configurations HAProxy 2.6 accepts: %s', async (_what, input) => {
    const text = renderHaproxyConfig({ ...input(), listenPort: 8080 });
    await control.writeFile(
      HAPROXY_FILES.next,
      configFileText({ text, hash: configHash(text), marker: 'x' }),
    );
    const check = await control.check(HAPROXY_FILES.next);
    expect(check.output).toMatch(/Configuration file is valid/);
    expect(check.valid).toBe(true);
  });

  it('reloads again and again under load without a single failed request', async () => {
    const load = startLoad(lbUrl, { clients: 8, pauseMs: 2 });
    for (let i = 0; i < 12; i += 1) {
      await apply(i % 2 === 0 ? backends : backends.slice(0, 1));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const result = await load.stop();
    report('reload x12 (container level)', result);
    expect(result.failures).toEqual({});
    expect(result.ok).toBeGreaterThan(100);
    expect(Object.keys(result.bodies).length).toBe(2);
  }, 120_000);

  it('refuses a configuration that fails haproxy -c and keeps serving the previous one', async () => {
    await apply(backends);
    const before = await control.readFile(HAPROXY_FILES.live);
    const bad = 'global\n  no-such-keyword\n';
    const error = await applyHaproxyConfig(control, {
      text: bad,
      hash: configHash(bad),
      marker: 'test-bad',
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigRejectedError);
    expect((error as Error).message).toMatch(/no-such-keyword/);
    expect(await control.readFile(HAPROXY_FILES.live)).toBe(before);
    expect(await status(lbUrl)).toBe(200);
  });

  it('restores the previous configuration when the master cannot load a new one', async () => {
    await apply(backends);
    const before = appliedHashOf(await control.readFile(HAPROXY_FILES.live));
    // Valid for `haproxy -c`, but the master cannot create this pid file when it loads it, so it reports
    // "Loading failure!". (Not a new bind address: that makes the master pause old workers with SIGTTOU, and
    // HAProxy 2.6 leaves a draining worker stopped by it, so the container never exits. The rendered
    // configuration never changes its bind line.)
    const unloadable = renderHaproxyConfig({ settings, backends, listenPort: 8080 }).replace(
      'global\n',
      'global\n  pidfile /proc/nonexistent/haproxy.pid\n',
    );
    const error = await applyHaproxyConfig(control, {
      text: unloadable,
      hash: configHash(unloadable),
      marker: 'test-unloadable',
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ReloadFailedError);
    expect((error as ReloadFailedError).restored).toBe(true);
    expect(appliedHashOf(await control.readFile(HAPROXY_FILES.live))).toBe(before);
    expect(await status(lbUrl)).toBe(200);
    await apply(backends.slice(0, 1));
    expect(await status(lbUrl)).toBe(200);
  }, 60_000);

  it('soft-stops on SIGUSR1: stops listening, lets its connections finish, exits on its own', async () => {
    // A master that has just reloaded ignores signals for a moment: send it again, as the manager does.
    // Old workers still holding keep-alive connections end at their idle timeout (hard-stop-after bounds it).
    const started = Date.now();
    let exitCode: number | undefined;
    while (exitCode === undefined && Date.now() - started < 35_000) {
      await engine.killContainer({ id: lbId, signal: 'SIGUSR1' }).catch(() => undefined);
      exitCode = await engine
        .waitContainer({ id: lbId, signal: AbortSignal.timeout(1000) })
        .then((r) => r.exitCode)
        .catch(() => undefined);
    }
    process.stdout.write(`[lb] soft stop: exited with ${exitCode} after ${Date.now() - started} ms\n`);
    expect(exitCode).toBe(0);
  }, 60_000);

  it('FakeEngine has no exec: the typed "not supported" error', async () => {
    const fake = new FakeEngine();
    await expect(execCapabilityOf(fake).execInContainer({ id: 'x', cmd: ['true'] })).rejects.toBeInstanceOf(
      EngineCapabilityNotSupportedError,
    );
    expect(() => execCapabilityOf({} as ContainerEngine)).toThrow(EngineCapabilityNotSupportedError);
    expect(() => new ContainerHaproxyControl({} as ContainerEngine, 'x')).toThrow(
      EngineCapabilityNotSupportedError,
    );
  });
});
