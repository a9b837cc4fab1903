import type { BerthConfig } from '../config/index.js';
import type { ContainerEngine, ContainerSummary, HostGuardContainerSpec, LogLine } from '../engine/index.js';
import type { EnginePool } from './engine-pool.js';
import { HostGuard } from './host-guard.js';
import { hostGuardPlan } from './host-guard-spec.js';
import type { Host } from './host.entity.js';
import type { ImageDistribution } from './image-distribution.js';

const host = { id: 'host-1', name: 'h1' } as Host;
const config = {
  networkPolicy: 'guard',
  tenantSubnets: '10.64.0.0/10',
  egressDeny: [],
  hostGuardImage: 'berth/host-guard:local',
} as unknown as BerthConfig;
const plan = hostGuardPlan({
  hostId: host.id,
  pool: '10.64.0.0/10',
  deny: [],
  image: 'berth/host-guard:local',
});

/** Only the engine calls HostGuard makes, recorded in order. */
class GuardEngine {
  calls: string[] = [];
  containers: ContainerSummary[] = [];
  logs: string[] = [];
  async listContainers(): Promise<ContainerSummary[]> {
    return this.containers;
  }
  async createHostGuardContainer(spec: HostGuardContainerSpec): Promise<{ id: string }> {
    this.calls.push(`create ${spec.name}`);
    return { id: 'new' };
  }
  async startContainer({ id }: { id: string }): Promise<void> {
    this.calls.push(`start ${id}`);
  }
  async stopContainer({ id }: { id: string }): Promise<void> {
    this.calls.push(`stop ${id}`);
  }
  async removeContainer({ id }: { id: string }): Promise<void> {
    this.calls.push(`remove ${id}`);
  }
  async *containerLogs(): AsyncIterable<LogLine> {
    for (const text of this.logs) yield { stream: 'stdout', timestamp: '', text };
  }
}

function guardOf(
  engine: object,
  overrides: Partial<BerthConfig> = {},
): { guard: HostGuard; ensured: string[] } {
  const ensured: string[] = [];
  const pool = { engineFor: async () => engine as ContainerEngine } as unknown as EnginePool;
  const images = {
    ensureOn: async (_: Host, ref: string) => void ensured.push(ref),
  } as unknown as ImageDistribution;
  return { guard: new HostGuard({ ...config, ...overrides }, pool, images), ensured };
}

function container(id: string, configHash: string, state: ContainerSummary['state']): ContainerSummary {
  return {
    id,
    name: plan.spec.name,
    image: 'berth/host-guard:local',
    state,
    status: '',
    labels: { ...plan.spec.labels, 'berth.host-guard.config': configHash },
    createdAt: new Date(),
  };
}

describe('HostGuard.ensure', () => {
  it('places a missing guard after bringing its image, and reports it pending', async () => {
    const engine = new GuardEngine();
    const { guard, ensured } = guardOf(engine);
    expect(await guard.ensure(host)).toMatchObject({ state: 'pending' });
    expect(ensured).toEqual(['berth/host-guard:local']);
    expect(engine.calls).toEqual([`create ${plan.spec.name}`, 'start new']);
  });

  it('stops (SIGTERM: it removes its rules) and removes a guard of another configuration before placing the new one', async () => {
    const engine = new GuardEngine();
    engine.containers = [container('old', 'other-hash', 'running')];
    await guardOf(engine).guard.ensure(host);
    expect(engine.calls).toEqual(['stop old', 'remove old', `create ${plan.spec.name}`, 'start new']);
  });

  it('reads the state of a running guard from its last line, and starts a stopped one again', async () => {
    const engine = new GuardEngine();
    engine.containers = [container('g', plan.configHash, 'running')];
    engine.logs = ['host-guard: applied (x)', 'host-guard: failed: no physdev'];
    expect(await guardOf(engine).guard.ensure(host)).toEqual({ state: 'failed', reason: 'no physdev' });
    expect(engine.calls).toEqual([]);

    engine.containers = [container('g', plan.configHash, 'exited')];
    expect(await guardOf(engine).guard.ensure(host)).toMatchObject({ state: 'pending' });
    expect(engine.calls).toEqual(['start g']);
  });

  it('is off when the operator turned it off, unsupported on an engine without the capability', async () => {
    const engine = new GuardEngine();
    expect(await guardOf(engine, { networkPolicy: 'off' }).guard.ensure(host)).toEqual({
      state: 'off',
      reason: null,
    });
    const { createHostGuardContainer: _, ...plain } = { ...engine, createHostGuardContainer: undefined };
    expect(await guardOf(plain).guard.ensure(host)).toMatchObject({ state: 'unsupported' });
    expect(engine.calls).toEqual([]);
  });
});
