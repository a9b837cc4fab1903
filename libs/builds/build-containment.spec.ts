import { describe, expect, it } from '@jest/globals';
import { toDockerCreateOptions } from '../engine/index.js';
import {
  buildLimitsFor,
  classifyInstallFailure,
  dependencyImageTag,
  dependencyKey,
  freshObservation,
  installArgv,
  installContainerSpec,
  observeOutputLine,
  parsePidsCounters,
  type InstallObservation,
} from './build-containment.js';

const limits = buildLimitsFor({ memoryMb: 256, cpuMillis: 500, timeoutSeconds: 600 });
const argv = installArgv(true);
const observed = (overrides: Partial<InstallObservation>): InstallObservation => ({
  ...freshObservation(),
  exitCode: 1,
  pidsPeak: 20,
  ...overrides,
});

describe('buildLimitsFor', () => {
  it('gives builds at least 512 MB for processes and a disk bound per plan, both inside the memory limit', () => {
    expect(limits).toEqual({
      memoryMb: 512,
      diskMb: 1024,
      containerMemoryMb: 1536,
      cpuMillis: 500,
      pidsLimit: 256,
      nofileLimit: 4096,
      timeoutSeconds: 600,
    });
    expect(buildLimitsFor({ memoryMb: 1024, cpuMillis: 2000, timeoutSeconds: 1800 })).toMatchObject({
      memoryMb: 1024,
      diskMb: 2048,
      containerMemoryMb: 3072,
    });
  });
});

describe('installContainerSpec', () => {
  const spec = installContainerSpec({
    tenantId: 'tenant-a',
    appId: 'app-1',
    appName: 'shop',
    buildId: '0b9f1c2e-1111-2222-3333-444455556666',
    image: 'berth/node-runtime:local',
    volumeName: 'berth-build-0b9f1c2e',
    limits,
  });
  const host = toDockerCreateOptions(spec).HostConfig!;

  it('runs the install under replica containment: uid 10001, no capabilities, no new privileges, read-only root', () => {
    expect(spec.user).toBe('10001:10001');
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Privileged).toBe(false);
  });

  it('has the same pids and nofile limits as a replica, and memory = processes + files, no swap', () => {
    expect(host.PidsLimit).toBe(256);
    expect(host.Ulimits).toEqual([{ Name: 'nofile', Soft: 4096, Hard: 4096 }]);
    expect(host.Memory).toBe(1536 * 1024 * 1024);
    expect(host.MemorySwap).toBe(host.Memory);
    expect(host.NanoCpus).toBe(500_000_000);
  });

  it('joins the tenant network, mounts only its own volume and is labelled with tenant, app, build and role', () => {
    expect(host.NetworkMode).toBe('berth-tenant-tenant-a');
    expect(host.Mounts).toEqual([
      { Type: 'volume', Source: 'berth-build-0b9f1c2e', Target: '/build', ReadOnly: false },
    ]);
    expect(spec.labels).toMatchObject({
      'berth.tenant': 'tenant-a',
      'berth.app': 'app-1',
      'berth.build': '0b9f1c2e-1111-2222-3333-444455556666',
      'berth.role': 'build',
    });
  });

  it('keeps npm cache and temp files in the bounded volume', () => {
    expect(spec.env).toMatchObject({
      npm_config_cache: '/build/.npm',
      TMPDIR: '/build/tmp',
      NODE_ENV: 'production',
    });
  });
});

describe('installArgv', () => {
  it('is a constant argv: npm ci with a lockfile, npm install without', () => {
    expect(installArgv(true)).toEqual(['npm', 'ci', '--omit=dev', '--no-audit', '--no-fund']);
    expect(installArgv(false)).toEqual(['npm', 'install', '--omit=dev', '--no-audit', '--no-fund']);
  });
});

describe('classifyInstallFailure', () => {
  it('says nothing when the install succeeded', () => {
    expect(classifyInstallFailure(observed({ exitCode: 0 }), limits, argv)).toBeUndefined();
  });

  it('names the process limit for a fork bomb stopped at it', () => {
    expect(
      classifyInstallFailure(observed({ stoppedAtProcessLimit: true, exitCode: 137 }), limits, argv),
    ).toBe('build reached its process limit (256) and was stopped');
  });

  it('fails an install that reached the process limit even when npm exited 0 (a detached fork bomb)', () => {
    expect(classifyInstallFailure(observed({ exitCode: 0, pidsPeak: 256 }), limits, argv)).toBe(
      'build reached its process limit (256)',
    );
  });

  it('names the process limit when a fork failed near the limit', () => {
    const observation = observed({ pidsPeak: 250 });
    observeOutputLine(observation, 'sh: 1: Cannot fork');
    expect(classifyInstallFailure(observation, limits, argv)).toBe('build reached its process limit (256)');
  });

  it('names the memory limit for an OOM kill', () => {
    expect(classifyInstallFailure(observed({ oomKilled: true, exitCode: 137 }), limits, argv)).toBe(
      'build ran out of memory (1536 MB: 512 MB for processes, 1024 MB for files)',
    );
  });

  it('names the disk bound for ENOSPC', () => {
    const observation = observed({});
    observeOutputLine(observation, 'Error: ENOSPC: no space left on device, write');
    expect(classifyInstallFailure(observation, limits, argv)).toMatch(/^build wrote more than 1024 MB/);
  });

  it('otherwise gives the exit code', () => {
    expect(classifyInstallFailure(observed({ exitCode: 1 }), limits, argv)).toBe('npm ci exited with code 1');
  });

  it('does not blame the process limit for an EAGAIN far below it', () => {
    const observation = observed({ pidsPeak: 30 });
    observeOutputLine(observation, 'npm ERR! code EAGAIN');
    expect(classifyInstallFailure(observation, limits, argv)).toBe('npm ci exited with code 1');
  });
});

describe('parsePidsCounters', () => {
  it('reads refused forks and the peak from the cgroup files', () => {
    expect(parsePidsCounters('max 4312\n256\n')).toEqual({ forkRefusals: 4312, peak: 256 });
    expect(parsePidsCounters('max 0\n')).toEqual({ forkRefusals: 0 });
    expect(parsePidsCounters('')).toEqual({});
  });

  it('fails an install whose forks were refused at the limit', () => {
    expect(
      classifyInstallFailure(observed({ exitCode: 0, forkRefusals: 12, pidsPeak: 200 }), limits, argv),
    ).toBe('build reached its process limit (256; 12 forks refused)');
  });
});

describe('dependencyKey', () => {
  const manifests = [
    { name: 'package.json', body: Buffer.from('{"dependencies":{"express":"^4"}}') },
    { name: 'package-lock.json', body: Buffer.from('{"lockfileVersion":3}') },
  ];
  const key = dependencyKey({ manifests, argv, runtimeImageId: 'sha256:aaa' });

  it('is the same for the same manifests in any order', () => {
    expect(dependencyKey({ manifests: [...manifests].reverse(), argv, runtimeImageId: 'sha256:aaa' })).toBe(
      key,
    );
  });

  it('changes with a manifest, the install command or the runtime image', () => {
    const changed = [
      { ...manifests[0]!, body: Buffer.from('{"dependencies":{"express":"^5"}}') },
      manifests[1]!,
    ];
    expect(dependencyKey({ manifests: changed, argv, runtimeImageId: 'sha256:aaa' })).not.toBe(key);
    expect(dependencyKey({ manifests, argv: installArgv(false), runtimeImageId: 'sha256:aaa' })).not.toBe(
      key,
    );
    expect(dependencyKey({ manifests, argv, runtimeImageId: 'sha256:bbb' })).not.toBe(key);
  });

  it('names a per-app image tag', () => {
    expect(dependencyImageTag('app-1', key)).toBe(`berth-deps-app-1:${key.slice(0, 32)}`);
  });
});
