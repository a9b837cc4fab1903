import { toHostGuardCreateOptions } from './docker-host-guard.js';

const spec = {
  name: 'berth-host-guard-0123abcd',
  image: 'berth/host-guard:local',
  env: { BERTH_GUARD_ID: '0123abcd', BERTH_GUARD_POOL: '10.64.0.0/10' },
  labels: { 'berth.role': 'host-guard' },
};

describe('toHostGuardCreateOptions', () => {
  it('gives the guard the host network, NET_ADMIN and NET_RAW only, a read-only root and no host path', () => {
    const options = toHostGuardCreateOptions(spec);
    expect(options.HostConfig).toMatchObject({
      NetworkMode: 'host',
      Privileged: false,
      CapDrop: ['ALL'],
      CapAdd: ['NET_ADMIN', 'NET_RAW'],
      SecurityOpt: ['no-new-privileges:true'],
      ReadonlyRootfs: true,
      Binds: [],
      Mounts: [],
      Devices: [],
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
    });
    expect(options.HostConfig?.Memory).toBeGreaterThan(0);
    expect(options.HostConfig?.PidsLimit).toBeGreaterThan(0);
    expect(options.Env).toEqual(['BERTH_GUARD_ID=0123abcd', 'BERTH_GUARD_POOL=10.64.0.0/10']);
  });

  it('refuses an env name that smuggles a second variable, and a NUL in a value', () => {
    expect(() => toHostGuardCreateOptions({ ...spec, env: { 'A=B C': 'x' } })).toThrow(RangeError);
    expect(() => toHostGuardCreateOptions({ ...spec, env: { A: 'x\0y' } })).toThrow(RangeError);
  });

  it('refuses a name Docker would read as something else', () => {
    expect(() => toHostGuardCreateOptions({ ...spec, name: '../x' })).toThrow(RangeError);
  });
});
