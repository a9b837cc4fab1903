import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DockerEngine } from '../../libs/engine/index.js';
import { FakeEngine, FakeRegistry } from '../../libs/engine/testing/index.js';
import {
  RUNTIME_IMAGE,
  TEST_DOCKER_ENDPOINT,
  TEST_RUN_LABEL,
  cleanupTestRun,
  ensureRuntimeImage,
  testEngine,
  testRunId,
  uniqueId,
} from '../support/docker.js';
import { describeEngineContract } from './engine-contract.js';
import { startTestRegistry, type TestRegistry } from '../support/registry.js';

const docker = testEngine();
let registry: TestRegistry | undefined;
/** Port 1 on loopback: nothing listens there, so a connection is refused at once. */
const DEAD_REGISTRY = '127.0.0.1:1';

beforeAll(async () => {
  await ensureRuntimeImage(docker);
  registry = await startTestRegistry();
}, 180_000);

afterAll(async () => {
  try {
    await cleanupTestRun(docker);
  } finally {
    await registry?.purge();
  }
});

const fakeRegistry = new FakeRegistry('127.0.0.1:5999');
describeEngineContract(
  'FakeEngine',
  () => {
    const fake = new FakeEngine({ extraLabels: { [TEST_RUN_LABEL]: testRunId() }, registry: fakeRegistry });
    fake.addImage({ ref: RUNTIME_IMAGE });
    return fake;
  },
  { registry: () => ({ address: fakeRegistry.address }), deadRegistry: DEAD_REGISTRY },
);

describeEngineContract('DockerEngine (local Docker Engine)', () => docker, {
  registry: () => ({ address: registry!.address, authorize: registry!.authorize }),
  deadRegistry: DEAD_REGISTRY,
});

describe('DockerEngine across processes', () => {
  it('ends with one network when separate clients (as separate processes would) race for a name', async () => {
    // Docker's own CheckDuplicate lets concurrent creations through; ensureNetwork folds them back.
    const name = `berth-race-${uniqueId('n')}`;
    const labels = { 'berth.race': name };
    const clients = [testEngine(), testEngine(), testEngine()];
    await Promise.all(clients.flatMap((client) => [1, 2].map(() => client.ensureNetwork({ name, labels }))));
    const { id } = await testEngine().ensureNetwork({ name, labels });
    expect((await docker.listNetworks({ labels })).map((network) => network.id)).toEqual([id]);
  });

  it('answers ping and info, and a dead endpoint fails ping with an EngineError', async () => {
    await docker.ping();
    const info = await docker.info();
    expect(info).toMatchObject({ os: 'linux', cpus: expect.any(Number), memoryMb: expect.any(Number) });
    expect(info.apiVersion).toMatch(/^1\.\d+$/);
    const dead = new DockerEngine({ endpoint: 'unix:///run/berth-no-such.sock', pingTimeoutMs: 500 });
    await expect(dead.ping()).rejects.toMatchObject({ name: 'EngineError', operation: 'ping' });
    expect(TEST_DOCKER_ENDPOINT).toMatch(/^(unix|tcp):\/\//);
  });
});
