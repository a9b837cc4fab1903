import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type EngineEvent, tenantNetworkName } from '../../libs/engine/index.js';
import {
  TEST_RUN_LABEL,
  cleanupTestRun,
  collectLogs,
  ensureRuntimeImage,
  testEngine,
  testRunId,
  uniqueId,
  waitFor,
} from '../support/docker.js';
import { runNodeProbe, startTenantContainer } from './tenant-containers.js';

const MB = 1024 * 1024;
const engine = testEngine();

beforeAll(async () => {
  await ensureRuntimeImage(engine);
});

afterAll(async () => {
  await cleanupTestRun(engine);
});

describe('a tenant container on the real engine', () => {
  it('runs node under the plan memory limit, and inspect shows the limits', async () => {
    const { id, exitCode, result } = await runNodeProbe<{ version: string; cgroupLimit: string }>(engine, {
      tenantId: uniqueId('mem'),
      plan: { memoryMb: 128, cpuMillis: 500 },
      script: `console.log(JSON.stringify({
        version: process.version,
        cgroupLimit: require('fs').readFileSync('/sys/fs/cgroup/memory/memory.limit_in_bytes', 'utf8').trim(),
      }))`,
    });
    expect(exitCode).toBe(0);
    expect(result.version).toMatch(/^v\d+\./);
    expect(Number(result.cgroupLimit)).toBe(128 * MB);

    const details = await engine.inspectContainer({ id });
    expect(details?.resources).toEqual({
      memoryBytes: 128 * MB,
      memorySwapBytes: 128 * MB,
      nanoCpus: 500_000_000,
      pidsLimit: 256,
      readOnlyRootfs: true,
      user: '10001:10001',
    });
  });

  it('cannot write to its root filesystem, can write to /tmp, and cannot execute what it drops there', async () => {
    const { result } = await runNodeProbe<Record<string, string>>(engine, {
      tenantId: uniqueId('rofs'),
      script: `
        const fs = require('fs');
        const { execFileSync } = require('child_process');
        const attempt = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.code || e.message; } };
        console.log(JSON.stringify({
          app: attempt(() => fs.writeFileSync('/app/x', 'x')),
          etc: attempt(() => fs.writeFileSync('/etc/passwd', 'evil')),
          tmp: attempt(() => fs.writeFileSync('/tmp/x', 'x')),
          execTmp: attempt(() => {
            fs.writeFileSync('/tmp/run.sh', '#!/bin/sh\\necho pwned\\n', { mode: 0o755 });
            execFileSync('/tmp/run.sh');
          }),
        }));`,
    });
    expect(result).toEqual({ app: 'EROFS', etc: 'EROFS', tmp: 'ok', execTmp: 'EACCES' });
  });

  it('runs as uid 10001 with no capabilities and no way to gain privileges', async () => {
    const { result } = await runNodeProbe<Record<string, string>>(engine, {
      tenantId: uniqueId('caps'),
      script: `
        const status = require('fs').readFileSync('/proc/self/status', 'utf8');
        const field = (name) => (status.match(new RegExp('^' + name + ':\\\\s*(.*)$', 'm')) || [])[1];
        console.log(JSON.stringify({
          uid: field('Uid'), gid: field('Gid'), capEff: field('CapEff'), capPrm: field('CapPrm'),
          capBnd: field('CapBnd'), noNewPrivs: field('NoNewPrivs'), seccomp: field('Seccomp'),
        }));`,
    });
    expect(result).toEqual({
      uid: '10001\t10001\t10001\t10001',
      gid: '10001\t10001\t10001\t10001',
      capEff: '0000000000000000',
      capPrm: '0000000000000000',
      capBnd: '0000000000000000',
      noNewPrivs: '1',
      seccomp: '2',
    });
  });

  it('stops a fork bomb at the pids limit while the host keeps answering, and the container can be killed', async () => {
    // node stays PID 1 (a shell PID 1 would exit and end the container) and relaunches the bomb every
    // 200 ms: a lone `f | f &` tree can die out when every leaf's fork fails at once, which on a slow,
    // CPU-throttled machine left the count far below the limit. Relaunching keeps the pressure on.
    const id = await startTenantContainer(engine, {
      tenantId: uniqueId('fork'),
      plan: { memoryMb: 256, cpuMillis: 500 },
      cmd: [
        'node',
        '-e',
        `const launch = () => require('child_process')
           .spawn('sh', ['-c', 'f() { f | f & }; f'], { stdio: 'ignore' })
           .on('error', () => {});
         launch();
         setInterval(launch, 200);`,
      ],
    });
    let lastPids = 0;
    const atLimit = await waitFor(
      'the fork bomb to reach the pids limit',
      async () => {
        lastPids = (await engine.stats({ id })).pids;
        return lastPids >= 250 && lastPids;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    ).catch(async (error: unknown) => {
      const state = await engine.inspectContainer({ id });
      throw new Error(
        `${(error as Error).message}; last pids ${lastPids}, running ${String(state?.running)}, exit code ${String(state?.exitCode)}`,
      );
    });
    expect(atLimit).toBeLessThanOrEqual(256);

    // The host is not starved: the engine answers promptly while the bomb keeps pushing.
    const started = Date.now();
    await engine.ping();
    const info = await engine.info();
    expect(info.cpus).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await engine.stats({ id })).pids).toBeLessThanOrEqual(256);

    await engine.killContainer({ id });
    expect((await engine.waitContainer({ id })).exitCode).toBe(137);
    expect((await engine.inspectContainer({ id }))?.running).toBe(false);
  });

  it('OOM-kills a memory hog: inspect says oomKilled and the event stream reports oom and die', async () => {
    const tenantId = uniqueId('oom');
    const appId = uniqueId('hog');
    const abort = new AbortController();
    const events: EngineEvent[] = [];
    const listening = (async () => {
      for await (const event of engine.events({ labels: { 'berth.app': appId }, signal: abort.signal })) {
        events.push(event);
        if (event.type === 'die') break;
      }
    })();
    const id = await startTenantContainer(engine, {
      tenantId,
      appId,
      plan: { memoryMb: 96, cpuMillis: 500 },
      cmd: ['node', '-e', 'const hog = []; for (;;) hog.push(Buffer.alloc(4 << 20, 1));'],
    });
    const { exitCode } = await engine.waitContainer({ id });
    expect(exitCode).toBe(137);
    const details = await engine.inspectContainer({ id });
    expect(details?.oomKilled).toBe(true);

    await waitFor('the die event', async () => events.some((event) => event.type === 'die'), {
      timeoutMs: 5000,
    });
    abort.abort();
    await listening;
    // cgroup v1 can signal more than one OOM for one kill; what matters is start, then oom, then die.
    const types = events.map((event) => event.type).filter((type, i, all) => type !== all[i - 1]);
    expect(types).toEqual(['start', 'oom', 'die']);
    expect(events.every((event) => event.containerId === id)).toBe(true);
    const die = events.find((event) => event.type === 'die');
    expect(die?.exitCode).toBe(137);
    expect(die?.labels).toMatchObject({
      'berth.tenant': tenantId,
      'berth.app': appId,
      [TEST_RUN_LABEL]: testRunId(),
    });
  });

  it("cannot open a TCP connection to another tenant's container, while the same tenant can", async () => {
    const tenantA = uniqueId('ta');
    const tenantB = uniqueId('tb');
    const server = await startTenantContainer(engine, {
      tenantId: tenantB,
      containerPort: 8080,
      networkAliases: ['b-server'],
      cmd: [
        'node',
        '-e',
        `require('net').createServer((s) => s.end('hello')).listen(8080, () => console.log('listening'))`,
      ],
    });
    const serverIp = await waitFor('the server to listen', async () => {
      const details = await engine.inspectContainer({ id: server });
      const ip = details?.networks[tenantNetworkName(tenantB)]?.ipAddress;
      if (!ip) return undefined;
      const lines = await collectLogs(engine, server);
      return lines.some((line) => line.text === 'listening') && ip;
    });

    const probe = `
      const socket = require('net').connect({ host: process.env.TARGET, port: 8080 });
      const done = (result) => { console.log(JSON.stringify(result)); process.exit(0); };
      socket.setTimeout(2000, () => done('timeout'));
      socket.on('data', (data) => done('connected: ' + data));
      socket.on('error', (error) => done(error.code));`;
    const [fromOtherTenant, fromSameTenant] = await Promise.all([
      runNodeProbe<string>(engine, { tenantId: tenantA, env: { TARGET: serverIp }, script: probe }),
      runNodeProbe<string>(engine, {
        tenantId: tenantB,
        instance: 'r1',
        env: { TARGET: serverIp },
        script: probe,
      }),
    ]);
    expect(fromSameTenant.result).toBe('connected: hello');
    expect(fromOtherTenant.result).not.toMatch(/^connected/);
  });
});
