import { describe, expect, it } from '@jest/globals';
import { parseHostEndpoint } from './host-endpoint.js';

describe('parseHostEndpoint', () => {
  it('accepts a unix socket by absolute path', () => {
    expect(parseHostEndpoint('unix:///var/run/docker.sock')).toEqual({
      kind: 'unix',
      endpoint: 'unix:///var/run/docker.sock',
      socketPath: '/var/run/docker.sock',
    });
  });

  it('accepts tcp with a name, an IPv4 or a bracketed IPv6 address, and normalises case and a trailing slash', () => {
    expect(parseHostEndpoint('tcp://Docker-2.Example.com:2376/')).toEqual({
      kind: 'tcp',
      endpoint: 'tcp://docker-2.example.com:2376',
      hostname: 'docker-2.example.com',
      port: 2376,
    });
    expect(parseHostEndpoint('tcp://10.0.0.5:2376')).toMatchObject({ endpoint: 'tcp://10.0.0.5:2376' });
    expect(parseHostEndpoint('tcp://[FD00::5]:2376')).toMatchObject({
      endpoint: 'tcp://[fd00::5]:2376',
      hostname: 'fd00::5',
    });
  });

  it.each([
    ['a relative socket path', 'unix://var/run/docker.sock'],
    ['a socket path climbing out with ..', 'unix:///run/../etc/docker.sock'],
    ['a query on a socket', 'unix:///var/run/docker.sock?x=1'],
    ['tcp without a port', 'tcp://10.0.0.5'],
    ['tcp with port 0', 'tcp://10.0.0.5:0'],
    ['tcp with a port above 65535', 'tcp://10.0.0.5:70000'],
    ['tcp with user info', 'tcp://root@10.0.0.5:2376'],
    ['tcp with a path', 'tcp://10.0.0.5:2376/v1.41'],
    ['tcp with a query', 'tcp://10.0.0.5:2376?tls=0'],
    ['an IPv6 address without brackets', 'tcp://fd00::5:2376'],
    ['a host name with an underscore', 'tcp://docker_2:2376'],
    ['another scheme', 'http://10.0.0.5:2375'],
    ['ssh', 'ssh://root@10.0.0.5'],
    ['whitespace', 'unix:///var/run/docker.sock\n'],
    ['a NUL byte', 'unix:///var/run/docker.sock\0.txt'],
  ])('refuses %s', (_what, raw) => {
    expect(parseHostEndpoint(raw)).toEqual({ error: expect.any(String) });
  });
});
