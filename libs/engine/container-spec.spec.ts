import { describe, expect, it } from '@jest/globals';
import {
  type ContainerSpec,
  type HardenedContainerInput,
  hardenedContainerSpec,
  tenantNetworkName,
} from './container-spec.js';
import { toDockerCreateOptions } from './docker-create-options.js';

const input = (overrides: Partial<HardenedContainerInput> = {}): HardenedContainerInput => ({
  tenantId: 'tenant-a',
  appId: 'app-1',
  appName: 'shop',
  releaseVersion: 3,
  role: 'web',
  instance: 'r0',
  image: 'berth/app-1:v3',
  env: { NODE_ENV: 'production' },
  plan: { memoryMb: 256, cpuMillis: 500 },
  containerPort: 8080,
  publishAddress: '127.0.0.1',
  ...overrides,
});

const create = (overrides: Partial<HardenedContainerInput> = {}) =>
  toDockerCreateOptions(hardenedContainerSpec(input(overrides)));

describe('hardenedContainerSpec', () => {
  it('runs tenant code as uid 10001, never root', () => {
    expect(hardenedContainerSpec(input()).user).toBe('10001:10001');
    expect(hardenedContainerSpec(input({ role: 'build' })).user).toBe('10001:10001');
  });

  it('lets the load balancer use its own uid but never uid 0', () => {
    expect(hardenedContainerSpec(input({ role: 'lb', lbUid: 99 })).user).toBe('99:99');
    expect(() => hardenedContainerSpec(input({ role: 'lb', lbUid: 0 }))).toThrow(RangeError);
    // The uid override is for the balancer image only: a web container cannot pick its user.
    expect(hardenedContainerSpec(input({ role: 'web', lbUid: 99 })).user).toBe('10001:10001');
  });

  it('gives the container exactly the plan memory and CPU', () => {
    const spec = hardenedContainerSpec(input({ plan: { memoryMb: 512, cpuMillis: 250 } }));
    expect(spec).toMatchObject({ memoryMb: 512, cpuMillis: 250 });
  });

  it('refuses a zero or fractional plan, which Docker would read as unlimited', () => {
    expect(() => hardenedContainerSpec(input({ plan: { memoryMb: 0, cpuMillis: 500 } }))).toThrow(RangeError);
    expect(() => hardenedContainerSpec(input({ plan: { memoryMb: 256, cpuMillis: 0 } }))).toThrow(RangeError);
    expect(() => hardenedContainerSpec(input({ plan: { memoryMb: 12.5, cpuMillis: 500 } }))).toThrow(
      RangeError,
    );
  });

  it('caps processes and open files so a fork bomb or fd leak stays inside the container', () => {
    const spec = hardenedContainerSpec(input());
    expect(spec.pidsLimit).toBe(256);
    expect(spec.nofileLimit).toBe(4096);
  });

  it('makes the root filesystem read-only with a small /tmp that is noexec for web and lb', () => {
    expect(hardenedContainerSpec(input())).toMatchObject({
      readOnlyRootfs: true,
      tmpfsMb: 64,
      tmpfsExec: false,
    });
    expect(hardenedContainerSpec(input({ role: 'lb' }))).toMatchObject({
      readOnlyRootfs: true,
      tmpfsExec: false,
    });
    // npm lifecycle scripts and node-gyp execute what they unpack in /tmp during builds.
    expect(hardenedContainerSpec(input({ role: 'build' }))).toMatchObject({
      readOnlyRootfs: true,
      tmpfsExec: true,
    });
  });

  it('bounds the log files a chatty tenant can fill the host disk with', () => {
    expect(hardenedContainerSpec(input())).toMatchObject({ logMaxSizeMb: 10, logMaxFiles: 3 });
  });

  it('puts the container on its own tenant network only', () => {
    expect(hardenedContainerSpec(input()).networkName).toBe(tenantNetworkName('tenant-a'));
    expect(tenantNetworkName('tenant-a')).not.toBe(tenantNetworkName('tenant-b'));
  });

  it('refuses a tenant id that could name another network or a path', () => {
    for (const tenantId of ['', '../x', 'a b', '-bridge', 'a/b', 'x'.repeat(64)]) {
      expect(() => tenantNetworkName(tenantId)).toThrow(RangeError);
    }
    // A tenant called "host" still gets its own bridge, never Docker's host network.
    expect(tenantNetworkName('host')).toBe('berth-tenant-host');
  });

  it('labels tenant, app, release and role so the reconciler can adopt and clean up', () => {
    expect(hardenedContainerSpec(input()).labels).toEqual({
      'berth.managed-by': 'berth',
      'berth.tenant': 'tenant-a',
      'berth.app': 'app-1',
      'berth.app-name': 'shop',
      'berth.release': '3',
      'berth.role': 'web',
    });
  });

  it('does not let extra labels relabel a container into another tenant', () => {
    expect(() => hardenedContainerSpec(input({ extraLabels: { 'berth.tenant': 'tenant-b' } }))).toThrow(
      RangeError,
    );
    expect(hardenedContainerSpec(input({ extraLabels: { 'berth.host': 'h1' } })).labels['berth.host']).toBe(
      'h1',
    );
  });

  it('does not let an env var name smuggle a second variable or a NUL byte', () => {
    expect(() => hardenedContainerSpec(input({ env: { 'A=1\nPORT': 'x' } }))).toThrow(RangeError);
    expect(() => hardenedContainerSpec(input({ env: { 'PORT=1;X': 'x' } }))).toThrow(RangeError);
    expect(() => hardenedContainerSpec(input({ env: { A: 'x\0y' } }))).toThrow(RangeError);
  });

  it('keeps PORT under platform control even when the tenant sets it', () => {
    expect(hardenedContainerSpec(input({ env: { PORT: '22' } })).env.PORT).toBe('8080');
  });

  it('publishes only on the configured address, with an ephemeral host port', () => {
    expect(hardenedContainerSpec(input()).publish).toEqual({ hostIp: '127.0.0.1' });
    expect(hardenedContainerSpec(input({ publishAddress: undefined })).publish).toBeUndefined();
    expect(() => hardenedContainerSpec(input({ publishAddress: '' }))).toThrow(RangeError);
    expect(() => hardenedContainerSpec(input({ publishAddress: 'localhost' }))).toThrow(RangeError);
  });

  it('is pure: the same input gives the same spec', () => {
    expect(hardenedContainerSpec(input())).toEqual(hardenedContainerSpec(input()));
  });
});

describe('toDockerCreateOptions', () => {
  it('drops every capability and forbids gaining privileges (setuid binaries)', () => {
    const host = create().HostConfig!;
    expect(host.CapDrop).toEqual(['ALL']);
    expect(host.CapAdd).toEqual([]);
    expect(host.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(host.Privileged).toBe(false);
  });

  it('never mounts the Docker socket or any host path', () => {
    const options = create();
    const host = options.HostConfig!;
    expect(host.Binds).toEqual([]);
    expect(host.Mounts).toEqual([]);
    expect(host.Devices).toEqual([]);
    expect(host.VolumesFrom).toBeUndefined();
    expect(options.Volumes).toBeUndefined();
    expect(Object.keys(host.Tmpfs ?? {})).toEqual(['/tmp']);
    expect(JSON.stringify(options)).not.toMatch(/docker\.sock|\/var\/run|\/proc|\/sys/);
  });

  it("mounts a build container's own named volume, and nothing that names a host path", () => {
    const host = create({
      role: 'build',
      volumes: [{ name: 'berth-build-1', target: '/build' }],
    }).HostConfig!;
    expect(host.Mounts).toEqual([
      { Type: 'volume', Source: 'berth-build-1', Target: '/build', ReadOnly: false },
    ]);
    expect(host.Binds).toEqual([]);
  });

  it.each([
    ['a host path as the volume name', { name: '/var/run/docker.sock', target: '/build' }],
    ['a relative host path', { name: '../etc', target: '/build' }],
    ['the root', { name: 'v', target: '/' }],
    ['a system folder', { name: 'v', target: '/etc' }],
    ['/tmp (the tmpfs)', { name: 'v', target: '/tmp/x' }],
    ['a path that climbs', { name: 'v', target: '/build/../etc' }],
    ['a relative target', { name: 'v', target: 'build' }],
  ])('refuses a volume mount naming %s', (_label, volume) => {
    expect(() => create({ role: 'build', volumes: [volume] })).toThrow(RangeError);
    expect(() => toDockerCreateOptions({ ...hardenedContainerSpec(input()), volumes: [volume] })).toThrow(
      RangeError,
    );
  });

  it('gives volumes to build containers only', () => {
    expect(() => create({ role: 'web', volumes: [{ name: 'v', target: '/build' }] })).toThrow(
      'volumes are for build containers only',
    );
  });

  it('shares no namespace with the host', () => {
    const host = create().HostConfig!;
    for (const mode of [host.PidMode, host.IpcMode, host.UTSMode, host.UsernsMode])
      expect(mode).toBeUndefined();
    expect(host.NetworkMode).toBe('berth-tenant-tenant-a');
  });

  it('limits memory with no swap on top, so the limit is the limit', () => {
    const host = create({ plan: { memoryMb: 256, cpuMillis: 500 } }).HostConfig!;
    expect(host.Memory).toBe(256 * 1024 * 1024);
    expect(host.MemorySwap).toBe(host.Memory);
  });

  it('limits CPU to the plan (500 millis = half a CPU)', () => {
    expect(create({ plan: { memoryMb: 256, cpuMillis: 500 } }).HostConfig!.NanoCpus).toBe(500_000_000);
  });

  it('stops a fork bomb with a pids limit and an fd leak with a nofile ulimit', () => {
    const host = create().HostConfig!;
    expect(host.PidsLimit).toBe(256);
    expect(host.Ulimits).toEqual([{ Name: 'nofile', Soft: 4096, Hard: 4096 }]);
  });

  it('makes the root filesystem read-only and /tmp a small noexec tmpfs', () => {
    const host = create().HostConfig!;
    expect(host.ReadonlyRootfs).toBe(true);
    expect(host.Tmpfs).toEqual({ '/tmp': 'rw,noexec,nosuid,nodev,size=64m,mode=1777' });
    expect(create({ role: 'build' }).HostConfig!.Tmpfs!['/tmp']).toBe(
      'rw,exec,nosuid,nodev,size=256m,mode=1777',
    );
  });

  it('caps json-file logs so a chatty tenant cannot fill the host disk', () => {
    expect(create().HostConfig!.LogConfig).toEqual({
      Type: 'json-file',
      Config: { 'max-size': '10m', 'max-file': '3' },
    });
  });

  it('binds published ports to the configured address only', () => {
    const options = create();
    expect(options.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(options.HostConfig!.PortBindings).toEqual({ '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    expect(options.HostConfig!.PublishAllPorts).toBe(false);
    expect(create({ publishAddress: undefined }).HostConfig!.PortBindings).toEqual({});
  });

  it('never publishes on every interface by accident (an empty host IP)', () => {
    const spec: ContainerSpec = { ...hardenedContainerSpec(input()), publish: { hostIp: '' } };
    expect(() => toDockerCreateOptions(spec)).toThrow(RangeError);
  });

  it('leaves restarts to the reconciler, not to Docker', () => {
    expect(create().HostConfig!.RestartPolicy).toEqual({ Name: 'no', MaximumRetryCount: 0 });
  });

  it('refuses a hand-written spec that would run as root', () => {
    const spec = hardenedContainerSpec(input());
    for (const user of ['', 'root', '0', '0:0', '10001:0', '000']) {
      expect(() => toDockerCreateOptions({ ...spec, user })).toThrow(RangeError);
    }
  });

  it('refuses a hand-written spec without limits (0 is unlimited to Docker)', () => {
    const spec = hardenedContainerSpec(input());
    for (const field of ['memoryMb', 'cpuMillis', 'pidsLimit', 'nofileLimit', 'tmpfsMb'] as const) {
      expect(() => toDockerCreateOptions({ ...spec, [field]: 0 })).toThrow(RangeError);
    }
  });

  it('passes env as KEY=value and the labels unchanged', () => {
    const options = create();
    expect(options.Env).toEqual(['HOME=/tmp', 'NODE_ENV=production', 'PORT=8080']);
    expect(options.Labels).toEqual(hardenedContainerSpec(input()).labels);
    expect(options.User).toBe('10001:10001');
    expect(options.Tty).toBe(false);
  });
});
