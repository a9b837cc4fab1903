import { describe, expect, it } from '@jest/globals';
import { toDockerCreateOptions } from '../../engine/index.js';
import {
  HAPROXY_UID,
  LB_CONFIG_ENV,
  LB_START_COMMAND,
  loadBalancerContainerSpec,
} from './load-balancer-container.js';

const input = {
  tenantId: 't1',
  appId: 'a1',
  appName: 'shop',
  replicaId: 'r1',
  instance: 'abcd1234',
  configFile: '# berth-lb-config 0123456789abcdef\nglobal\n',
  plan: { memoryMb: 256, cpuMillis: 500 },
  port: 8080,
  publishAddress: '127.0.0.1',
};

describe('loadBalancerContainerSpec', () => {
  it('is a hardened tenant container run as the image’s haproxy user', () => {
    const spec = loadBalancerContainerSpec(input);
    expect(spec).toMatchObject({
      name: 'berth-a1-lb-abcd1234',
      user: `${HAPROXY_UID}:${HAPROXY_UID}`,
      readOnlyRootfs: true,
      tmpfsExec: false,
      memoryMb: 256,
      cpuMillis: 500,
      networkName: 'berth-tenant-t1',
      networkAliases: ['shop-lb'],
      containerPort: 8080,
      publish: { hostIp: '127.0.0.1' },
    });
    expect(spec.labels).toMatchObject({ 'berth.role': 'lb', 'berth.app': 'a1', 'berth.replica': 'r1' });
    const docker = toDockerCreateOptions(spec);
    expect(docker.HostConfig).toMatchObject({ CapDrop: ['ALL'], ReadonlyRootfs: true, Privileged: false });
    expect(docker.HostConfig?.Tmpfs?.['/tmp']).toMatch(/noexec/);
  });

  it('starts from the configuration in its env through a constant command (no data in the shell string)', () => {
    const spec = loadBalancerContainerSpec({ ...input, configFile: 'global\n"; rm -rf / #\n' });
    expect(spec.cmd).toEqual(LB_START_COMMAND);
    expect(spec.cmd?.join(' ')).not.toContain('rm -rf');
    expect(spec.env[LB_CONFIG_ENV]).toBe('global\n"; rm -rf / #\n');
    expect(LB_START_COMMAND[2]).toMatch(/exec haproxy -W -db -f \/tmp\/haproxy\.cfg$/);
  });
});
