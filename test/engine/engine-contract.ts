import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import tar from 'tar-stream';
import {
  type ContainerEngine,
  type EngineEvent,
  EngineError,
  type RegistryTarget,
  digestReference,
  engineAuthFor,
  hardenedContainerSpec,
  statsCapabilityOf,
  tenantNetworkName,
} from '../../libs/engine/index.js';
import { RUNTIME_IMAGE, uniqueId, waitFor } from '../support/docker.js';

/**
 * One contract, run against the FakeEngine and the real Docker Engine, so the fake that drives the
 * reconciler's unit tests cannot drift from what Docker does. Only behaviour callers rely on is here.
 */
export function describeEngineContract(
  name: string,
  makeEngine: () => ContainerEngine,
  options: {
    /** A registry the engine can push to, and who signs its tokens (known once the file's beforeAll started it). */
    registry: () => RegistryTarget;
    /** An address where no registry answers. */
    deadRegistry: string;
  },
): void {
  describe(`ContainerEngine contract: ${name}`, () => {
    const engine = makeEngine();

    /** A long-running web container of a fresh tenant, created (not started). */
    async function newContainer(overrides: { tenantId?: string; instance?: string; scope?: string } = {}) {
      const tenantId = overrides.tenantId ?? uniqueId('ct');
      const scope = overrides.scope ?? uniqueId('scope');
      await engine.ensureNetwork({ name: tenantNetworkName(tenantId), labels: { 'berth.contract': scope } });
      const spec = hardenedContainerSpec({
        tenantId,
        appId: uniqueId('app'),
        appName: 'contract',
        releaseVersion: 1,
        role: 'web',
        instance: overrides.instance ?? 'r0',
        image: RUNTIME_IMAGE,
        cmd: ['node', '-e', 'setInterval(() => {}, 1000)'],
        env: {},
        plan: { memoryMb: 64, cpuMillis: 250 },
        containerPort: 8080,
        publishAddress: '127.0.0.1',
        extraLabels: { 'berth.contract': scope },
        stopGraceSeconds: 1,
      });
      const { id } = await engine.createContainer(spec);
      return { id, spec, tenantId, scope };
    }

    it('answers "absent" for objects that do not exist, and removing them is a no-op', async () => {
      expect(await engine.inspectContainer({ id: 'berth-contract-missing' })).toBeUndefined();
      expect(await engine.inspectImage({ ref: 'berth-contract/missing:none' })).toBeUndefined();
      await engine.removeContainer({ id: 'berth-contract-missing', force: true });
      await engine.removeImage({ ref: 'berth-contract/missing:none' });
      await engine.removeNetwork({ name: 'berth-contract-missing' });
    });

    it('rejects with a 404 EngineError when starting a container that does not exist', async () => {
      const error = await engine.startContainer({ id: 'berth-contract-missing' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EngineError);
      expect((error as EngineError).statusCode).toBe(404);
    });

    it('creates one network however many concurrent ensureNetwork calls race for it', async () => {
      const scope = uniqueId('net');
      const name = tenantNetworkName(scope);
      const ids = await Promise.all(
        [1, 2, 3, 4].map(() => engine.ensureNetwork({ name, labels: { 'berth.contract': scope } })),
      );
      expect(new Set(ids.map((network) => network.id)).size).toBe(1);
      expect(await engine.ensureNetwork({ name, labels: { 'berth.contract': scope } })).toEqual(ids[0]);
      const listed = await engine.listNetworks({ labels: { 'berth.contract': scope } });
      expect(listed.map((network) => network.name)).toEqual([name]);
      await engine.removeNetwork({ name });
      expect(await engine.listNetworks({ labels: { 'berth.contract': scope } })).toEqual([]);
    });

    it('creates a network on the subnet and gateway it is given, and refuses one that overlaps it', async () => {
      const scope = uniqueId('ipam');
      const labels = { 'berth.contract': scope };
      const name = tenantNetworkName(scope);
      // A random /28 of 10.63.0.0/16 (outside Berth's default pool): concurrent runs on one engine rarely meet.
      const block = Math.floor(Math.random() * 4096) * 16;
      const base = `10.63.${Math.floor(block / 256)}.${block % 256}`;
      const subnet = `${base}/28`;
      const gateway = `10.63.${Math.floor(block / 256)}.${(block % 256) + 1}`;
      try {
        expect(await engine.inspectNetwork({ name })).toBeUndefined();
        const { id } = await engine.ensureNetwork({ name, labels, subnet, gateway });
        const inspected = await engine.inspectNetwork({ name });
        expect(inspected).toMatchObject({ id, name, internal: false, ipam: [{ subnet, gateway }] });
        expect(inspected?.labels).toMatchObject(labels);
        expect((await engine.listNetworks({ labels }))[0]?.ipam).toEqual([{ subnet, gateway }]);
        // An existing network is returned as it is, whatever subnet the call names.
        expect(await engine.ensureNetwork({ name, labels, subnet: '10.63.255.240/28' })).toEqual({ id });
        expect((await engine.inspectNetwork({ name }))?.ipam).toEqual([{ subnet, gateway }]);
        const overlapping = await engine
          .ensureNetwork({ name: `${name}-b`, labels, subnet: `${base}/29` })
          .catch((e: unknown) => e);
        expect(overlapping).toBeInstanceOf(EngineError);
        expect(await engine.inspectNetwork({ name: `${name}-b` })).toBeUndefined();
      } finally {
        await engine.removeNetwork({ name });
        await engine.removeNetwork({ name: `${name}-b` });
      }
      expect(await engine.inspectNetwork({ name })).toBeUndefined();
    });

    it('walks a container through created → running → exited → removed', async () => {
      const { id, spec, tenantId, scope } = await newContainer();
      const created = await engine.inspectContainer({ id });
      expect(created).toMatchObject({ id, name: spec.name, state: 'created', running: false });
      expect(created?.labels).toMatchObject(spec.labels);
      expect((await engine.inspectContainer({ id: spec.name }))?.id).toBe(id);

      await engine.startContainer({ id });
      await engine.startContainer({ id }); // already running: a no-op
      const running = await engine.inspectContainer({ id });
      expect(running).toMatchObject({ state: 'running', running: true });
      expect(running?.startedAt).toBeInstanceOf(Date);
      expect(running?.networks[tenantNetworkName(tenantId)]?.ipAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(running?.ports).toEqual([
        { containerPort: 8080, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: expect.any(Number) },
      ]);
      expect(running?.ports[0]?.hostPort).toBeGreaterThan(0);
      const labels = { 'berth.contract': scope };
      expect((await engine.listContainers({ labels })).map((c) => c.id)).toEqual([id]);

      await engine.stopContainer({ id, graceSeconds: 1 });
      await engine.stopContainer({ id, graceSeconds: 1 }); // already stopped: a no-op
      const exited = await engine.inspectContainer({ id });
      expect(exited).toMatchObject({ state: 'exited', running: false, oomKilled: false });
      expect(exited?.finishedAt).toBeInstanceOf(Date);
      expect(await engine.listContainers({ labels })).toEqual([]);
      expect((await engine.listContainers({ labels, all: true })).map((c) => c.state)).toEqual(['exited']);

      const killStopped = await engine.killContainer({ id }).catch((e: unknown) => e);
      expect(killStopped).toMatchObject({ name: 'EngineError', statusCode: 409 });

      await engine.removeContainer({ id });
      expect(await engine.inspectContainer({ id })).toBeUndefined();
    });

    it("reads a running container's counters (memory limit from its spec, pids) and answers absent for a missing one", async () => {
      const stats = statsCapabilityOf(engine);
      const { id } = await newContainer();
      await engine.startContainer({ id });
      try {
        const counters = await stats.readContainerCounters({ id });
        expect(counters).toMatchObject({
          memoryLimitBytes: 64 * 1024 * 1024,
          cpuNanos: expect.any(Number),
          networkRxBytes: expect.any(Number),
          blockWriteBytes: expect.any(Number),
        });
        expect(counters!.readAt).toBeInstanceOf(Date);
        expect(counters!.pids).toBeGreaterThan(0);
        expect(counters!.memoryBytes).toBeLessThanOrEqual(counters!.memoryLimitBytes);
      } finally {
        await engine.removeContainer({ id, force: true });
      }
      expect(await stats.readContainerCounters({ id })).toBeUndefined();
    });

    it('gives up waiting for a running container when the signal fires, and waits for a kill', async () => {
      const { id } = await newContainer({ instance: 'wait' });
      await engine.startContainer({ id });
      const controller = new AbortController();
      const waiting = engine.waitContainer({ id, signal: controller.signal });
      setTimeout(() => controller.abort(new Error('caller gave up')), 200);
      await expect(waiting).rejects.toThrow();
      await expect(engine.waitContainer({ id, signal: AbortSignal.abort() })).rejects.toThrow();

      const untilExit = engine.waitContainer({ id });
      await engine.killContainer({ id });
      expect(await untilExit).toEqual({ exitCode: 137 });
      await engine.removeContainer({ id });
    });

    it('refuses a second container with the same name (409) and removing a running one without force', async () => {
      const first = await newContainer({ instance: 'dup' });
      const second = await engine.createContainer(first.spec).catch((e: unknown) => e);
      expect(second).toMatchObject({ name: 'EngineError', statusCode: 409 });

      await engine.startContainer({ id: first.id });
      const removeRunning = await engine.removeContainer({ id: first.id }).catch((e: unknown) => e);
      expect(removeRunning).toMatchObject({ name: 'EngineError', statusCode: 409 });
      await engine.removeContainer({ id: first.id, force: true });
      expect(await engine.inspectContainer({ id: first.id })).toBeUndefined();
    });

    it('reports start, die (with the exit code) and destroy events for labelled containers only', async () => {
      const scope = uniqueId('events');
      const abort = new AbortController();
      const events: EngineEvent[] = [];
      const listening = (async () => {
        for await (const event of engine.events({
          labels: { 'berth.contract': scope },
          signal: abort.signal,
        })) {
          events.push(event);
        }
      })();
      await new Promise((resolve) => setTimeout(resolve, 200)); // let the subscription reach the engine
      const other = await newContainer(); // another scope: must not show up
      const { id } = await newContainer({ scope });
      await engine.startContainer({ id: other.id });
      await engine.startContainer({ id });
      await engine.killContainer({ id });
      expect(await engine.waitContainer({ id })).toEqual({ exitCode: 137 });
      await engine.removeContainer({ id });
      await waitFor('the destroy event', async () => events.some((event) => event.type === 'destroy'));
      abort.abort();
      await listening;

      expect(events.map((event) => event.type)).toEqual(['start', 'die', 'destroy']);
      expect(
        events.every((event) => event.containerId === id && event.labels['berth.contract'] === scope),
      ).toBe(true);
      expect(events[1]?.exitCode).toBe(137);
      expect(events[0]?.time).toBeInstanceOf(Date);
      await engine.removeContainer({ id: other.id, force: true });
    });

    it('force-removes everything carrying a label', async () => {
      const scope = uniqueId('sweep');
      const running = await newContainer({ scope });
      await newContainer({ scope, tenantId: running.tenantId, instance: 'r1' });
      await engine.startContainer({ id: running.id });
      const removed = await engine.removeLabelled({ label: `berth.contract=${scope}` });
      expect(removed).toEqual({ containers: 2, networks: 1, images: 0 });
      expect(await engine.listContainers({ labels: { 'berth.contract': scope }, all: true })).toEqual([]);
      expect(await engine.listNetworks({ labels: { 'berth.contract': scope } })).toEqual([]);
    });

    /** A one-file image (FROM scratch, no RUN step), labelled with `scope`, as `ref`. */
    async function tinyImage(ref: string, scope: string): Promise<string> {
      const pack = tar.pack();
      pack.entry({ name: 'Dockerfile' }, 'FROM scratch\nCOPY hello.txt /hello.txt\n');
      pack.entry({ name: 'hello.txt' }, scope);
      pack.finalize();
      const { imageId } = await engine.buildImage({
        context: Readable.from(pack),
        tag: ref,
        labels: { 'berth.contract': scope },
        memoryMb: 64,
        cpuMillis: 500,
      });
      return imageId;
    }

    const auth = (remote: string, actions: ('pull' | 'push')[]) => {
      const granted = engineAuthFor(options.registry(), remote, actions);
      return granted ? { auth: granted } : {};
    };

    it('moves an image through a registry: tag, push, remove, pull keep its id and labels', async () => {
      const scope = uniqueId('reg');
      const ref = `berth-contract/tiny:${scope}`;
      const remote = `${options.registry().address}/${ref}`;
      const imageId = await tinyImage(ref, scope);

      await engine.tagImage({ ref, target: remote });
      expect((await engine.inspectImage({ ref: remote }))?.id).toBe(imageId);
      const { digest } = await engine.pushImage({ ref: remote, ...auth(remote, ['pull', 'push']) });
      expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
      // Removing one of two names only drops that name.
      await engine.removeImage({ ref: remote });
      expect((await engine.inspectImage({ ref }))?.tags).toEqual([ref]);
      await engine.removeImage({ ref });
      expect(await engine.inspectImage({ ref })).toBeUndefined();

      await engine.pullImage({ ref: remote, ...auth(remote, ['pull']) });
      const pulled = await engine.inspectImage({ ref: remote });
      expect(pulled?.id).toBe(imageId);
      expect(pulled?.labels).toMatchObject({ 'berth.contract': scope });
      await engine.removeImage({ ref: remote });
      expect(await engine.inspectImage({ ref: remote })).toBeUndefined();

      // By digest: the manifest the push stored, whatever the tag names later; it can be tagged and untagged.
      const pinned = digestReference(remote, digest);
      await engine.pullImage({ ref: pinned, ...auth(remote, ['pull']) });
      expect((await engine.inspectImage({ ref: pinned }))?.id).toBe(imageId);
      await engine.tagImage({ ref: pinned, target: ref });
      await engine.removeImage({ ref: pinned });
      expect((await engine.inspectImage({ ref }))?.id).toBe(imageId);
      await engine.removeImage({ ref });
    });

    it('answers 404 for a pull the registry lacks and a push of an image the host lacks', async () => {
      const missing = `${options.registry().address}/berth-contract/missing:${uniqueId('none')}`;
      const digestMissing = digestReference(missing, `sha256:${'0'.repeat(64)}`);
      for (const attempt of [
        engine.pullImage({ ref: missing, ...auth(missing, ['pull']) }),
        engine.pullImage({ ref: digestMissing, ...auth(missing, ['pull']) }),
        engine.pushImage({ ref: missing, ...auth(missing, ['pull', 'push']) }),
      ]) {
        const error = await attempt.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(EngineError);
        expect((error as EngineError).statusCode).toBe(404);
      }
      const untaggable = await engine
        .tagImage({ ref: missing, target: `${missing}-x` })
        .catch((e: unknown) => e);
      expect((untaggable as EngineError).statusCode).toBe(404);
    });

    it('fails push and pull with an EngineError that is not a 404 when no registry answers', async () => {
      const scope = uniqueId('dead');
      const ref = `berth-contract/tiny:${scope}`;
      const remote = `${options.deadRegistry}/${ref}`;
      await tinyImage(ref, scope);
      await engine.tagImage({ ref, target: remote });
      try {
        for (const attempt of [
          engine.pushImage({ ref: remote }),
          engine.pullImage({ ref: `${remote}-other` }),
        ]) {
          const error = await attempt.catch((e: unknown) => e);
          expect(error).toBeInstanceOf(EngineError);
          expect((error as EngineError).notFound).toBe(false);
        }
      } finally {
        await engine.removeImage({ ref: remote });
        await engine.removeImage({ ref });
      }
    });

    it('refuses a spec that would run as root before asking the engine', async () => {
      const { spec } = await newContainer({ instance: 'root' });
      await expect(
        engine.createContainer({ ...spec, name: `${spec.name}-x`, user: '0' }),
      ).rejects.toBeInstanceOf(RangeError);
    });
  });
}
