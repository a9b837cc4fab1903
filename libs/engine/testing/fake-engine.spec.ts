import { describe, expect, it } from '@jest/globals';
import type { EngineEvent, LogLine } from '../container-engine.js';
import { hardenedContainerSpec, tenantNetworkName } from '../container-spec.js';
import { EngineError } from '../engine-errors.js';
import { FakeEngine } from './fake-engine.js';

async function runningContainer(engine: FakeEngine) {
  engine.addImage({ ref: 'berth/app:v1' });
  await engine.ensureNetwork({ name: tenantNetworkName('t1'), labels: {} });
  const spec = hardenedContainerSpec({
    tenantId: 't1',
    appId: 'a1',
    appName: 'shop',
    releaseVersion: 1,
    role: 'web',
    instance: 'r0',
    image: 'berth/app:v1',
    env: {},
    plan: { memoryMb: 128, cpuMillis: 250 },
  });
  const { id } = await engine.createContainer(spec);
  await engine.startContainer({ id });
  return id;
}

describe('FakeEngine', () => {
  it('fails the next calls of a method with the injected errors, in order, then recovers', async () => {
    const engine = new FakeEngine();
    const conflict = new EngineError({ operation: 'ping', statusCode: 409, message: 'busy' });
    engine.failNext('ping', conflict);
    engine.failNext('ping');
    await expect(engine.ping()).rejects.toBe(conflict);
    await expect(engine.ping()).rejects.toMatchObject({ statusCode: 500 });
    await expect(engine.ping()).resolves.toBeUndefined();
  });

  it('rejects every call while the host is unreachable', async () => {
    const engine = new FakeEngine();
    engine.setReachable(false);
    await expect(engine.listContainers({ labels: {} })).rejects.toBeInstanceOf(EngineError);
    engine.setReachable(true);
    await expect(engine.listContainers({ labels: {} })).resolves.toEqual([]);
  });

  it('simulates an OOM kill: inspect, waitContainer and events all see it', async () => {
    const engine = new FakeEngine();
    const abort = new AbortController();
    const events: EngineEvent[] = [];
    const listening = (async () => {
      for await (const event of engine.events({ labels: { 'berth.app': 'a1' }, signal: abort.signal })) {
        events.push(event);
      }
    })();
    const id = await runningContainer(engine);
    const waiting = engine.waitContainer({ id });
    engine.simulateExit({ id, exitCode: 137, oomKilled: true });
    expect(await waiting).toEqual({ exitCode: 137 });
    expect(await engine.inspectContainer({ id })).toMatchObject({
      state: 'exited',
      oomKilled: true,
      exitCode: 137,
    });
    await new Promise((resolve) => setImmediate(resolve));
    abort.abort();
    await listening;
    expect(events.map((event) => [event.type, event.exitCode])).toEqual([
      ['start', undefined],
      ['oom', undefined],
      ['die', 137],
    ]);
  });

  it('serves appended log lines, and follows until the container stops', async () => {
    const engine = new FakeEngine();
    const id = await runningContainer(engine);
    engine.appendLog({ id, stream: 'stdout', text: 'one' });
    const seen: LogLine[] = [];
    const following = (async () => {
      for await (const line of engine.containerLogs({ id, follow: true })) seen.push(line);
    })();
    await new Promise((resolve) => setImmediate(resolve));
    engine.appendLog({ id, stream: 'stderr', text: 'two' });
    await new Promise((resolve) => setImmediate(resolve));
    await engine.stopContainer({ id, graceSeconds: 1 });
    await following;
    expect(seen.map((line) => [line.stream, line.text])).toEqual([
      ['stdout', 'one'],
      ['stderr', 'two'],
    ]);
  });

  it('applies the same spec validation as the real engine', async () => {
    const engine = new FakeEngine();
    await runningContainer(engine);
    const [summary] = await engine.listContainers({ labels: { 'berth.tenant': 't1' } });
    expect(summary?.state).toBe('running');
    const details = await engine.inspectContainer({ id: summary!.id });
    expect(details?.resources).toMatchObject({
      memoryBytes: 128 * 1024 * 1024,
      pidsLimit: 256,
      user: '10001:10001',
    });
  });
});
