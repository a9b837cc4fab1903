import { describe, expect, it } from '@jest/globals';
import { EngineError, type ContainerEngine } from '../engine/index.js';
import { FakeEngine } from '../engine/testing/index.js';
import { probeEngine } from './host-probe.js';

describe('probeEngine', () => {
  it('returns the engine info when the host answers', async () => {
    const engine = new FakeEngine({ info: { engineVersion: '27.1.0', cpus: 8, memoryMb: 32_000 } });
    expect(await probeEngine(engine, 1000)).toEqual({
      ok: true,
      info: expect.objectContaining({ engineVersion: '27.1.0', cpus: 8, memoryMb: 32_000 }),
    });
  });

  it('returns the error of an unreachable host, without rejecting', async () => {
    const engine = new FakeEngine();
    engine.setReachable(false);
    expect(await probeEngine(engine, 1000)).toEqual({
      ok: false,
      error: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('fails when info fails after a good ping', async () => {
    const engine = new FakeEngine();
    engine.failNext(
      'info',
      new EngineError({ operation: 'info', statusCode: 500, message: 'daemon is busy' }),
    );
    expect(await probeEngine(engine, 1000)).toEqual({ ok: false, error: 'info: daemon is busy' });
  });

  it('gives up on an engine that accepts the connection but never answers info', async () => {
    const hanging = new FakeEngine();
    const engine = Object.assign(Object.create(hanging) as ContainerEngine, {
      info: () => new Promise<never>(() => {}),
    });
    const started = Date.now();
    expect(await probeEngine(engine, 200)).toEqual({ ok: false, error: 'no answer within 200 ms' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('keeps the error short enough for the hosts.last_error column', async () => {
    const engine = new FakeEngine();
    engine.failNext('ping', new Error('x'.repeat(2000)));
    const probe = await probeEngine(engine, 1000);
    expect(probe.ok).toBe(false);
    expect(!probe.ok && probe.error.length).toBe(500);
  });
});
