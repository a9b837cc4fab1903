import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { ContainerEngine } from '../engine/index.js';
import { buildLimitsFor } from './build-containment.js';
import { ensureDependencyImage } from './dependency-install.js';

/**
 * An engine for one cold install whose process-count sample is still in flight when npm ends (the
 * second sample never answers until it is aborted), as a slow Engine answer did in the cold bench.
 */
function installEngine() {
  let endInstall: () => void = () => undefined;
  let samples = 0;
  const calls: string[] = [];
  const engine = {
    inspectImage: ({ ref }: { ref: string }) =>
      Promise.resolve(ref.startsWith('berth-deps-') ? undefined : { id: 'sha256:runtime' }),
    createVolume: () => Promise.resolve(),
    removeVolume: () => Promise.resolve(),
    createContainer: () => Promise.resolve({ id: 'install-1' }),
    startContainer: () => Promise.resolve(),
    removeContainer: () => Promise.resolve(),
    killContainer: () => Promise.resolve(),
    putArchive: () => Promise.resolve(),
    listImages: () => Promise.resolve([]),
    async *events({ signal }: { signal: AbortSignal }) {
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      yield* [];
    },
    readContainerCounters: ({ signal }: { signal: AbortSignal }) => {
      samples += 1;
      if (samples === 1) return Promise.resolve({ pids: 3 });
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
      );
    },
    execInContainer: ({ cmd }: { cmd: string[] }) => {
      if (cmd[0] !== 'npm') return Promise.resolve({ exitCode: 0, stdout: 'max 0\n7\n', stderr: '' });
      return new Promise((resolve) => {
        endInstall = () => resolve({ exitCode: 0, stdout: '', stderr: '' });
      });
    },
    getArchive: () => {
      calls.push('getArchive');
      return Promise.resolve(undefined);
    },
  } as unknown as ContainerEngine;
  return { engine, calls, endInstall: () => endInstall(), samples: () => samples };
}

describe('ensureDependencyImage: the install watchers', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('reads node_modules out as soon as npm ends, even when a process-count sample was in flight', async () => {
    const { engine, calls, endInstall, samples } = installEngine();
    const building = ensureDependencyImage({
      engine,
      tenantId: 't1',
      appId: 'a1',
      appName: 'web',
      buildId: 'b1',
      runtimeImage: 'berth/node-runtime:local',
      manifests: [{ name: 'package.json', body: Buffer.from('{"name":"web"}') }],
      hasLockfile: false,
      limits: buildLimitsFor({ memoryMb: 1024, cpuMillis: 1000, timeoutSeconds: 600 }),
      signal: new AbortController().signal,
      log: () => undefined,
    });
    // The first sample answers; the second starts a period later and hangs until the watchers stop.
    await jest.advanceTimersByTimeAsync(1000);
    expect(samples()).toBe(2);
    endInstall();
    // The aborted sample must not wait out another sampling period (1 s) before node_modules is read.
    await jest.advanceTimersByTimeAsync(10);
    expect(calls).toEqual(['getArchive']);
    const dependencies = await building;
    if (dependencies.reused) throw new Error('a cold install reused an image');
    dependencies.layer.resume();
    await dependencies.cleanedUp;
  });
});
