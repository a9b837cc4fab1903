import { describe, expect, it } from '@jest/globals';
import type Docker from 'dockerode';
import { toContainerStats } from './docker-containers.js';
import { dockerClientOptions } from './docker-engine.js';
import { toEngineError } from './docker-errors.js';
import { toEngineEvent } from './docker-events.js';

describe('dockerClientOptions', () => {
  it('talks to a unix socket, ignoring DOCKER_HOST and DOCKER_CERT_PATH defaults', () => {
    expect(dockerClientOptions({ endpoint: 'unix:///var/run/docker.sock' })).toMatchObject({
      socketPath: '/var/run/docker.sock',
      host: undefined,
      protocol: 'http',
      ca: undefined,
      cert: undefined,
      key: undefined,
    });
  });

  it('uses https with the client certificate on a tcp endpoint with TLS', () => {
    const tls = { ca: 'CA', cert: 'CERT', key: 'KEY' };
    expect(dockerClientOptions({ endpoint: 'tcp://10.0.0.5:2376', tls })).toMatchObject({
      host: '10.0.0.5',
      port: 2376,
      protocol: 'https',
      socketPath: undefined,
      ...tls,
    });
    expect(dockerClientOptions({ endpoint: 'tcp://127.0.0.1:2375' })).toMatchObject({
      protocol: 'http',
      port: 2375,
    });
  });

  it('refuses endpoints it does not understand', () => {
    expect(() => dockerClientOptions({ endpoint: 'ssh://host' })).toThrow(RangeError);
    expect(() =>
      dockerClientOptions({ endpoint: 'unix:///x.sock', tls: { ca: '', cert: '', key: '' } }),
    ).toThrow(RangeError);
  });
});

describe('toEngineError', () => {
  it("keeps Docker's status code and message", () => {
    const modemError = Object.assign(new Error('(HTTP code 409) unexpected - Conflict. '), {
      statusCode: 409,
      json: { message: 'Conflict. The container name "/x" is already in use' },
    });
    const error = toEngineError('createContainer', modemError);
    expect(error).toMatchObject({
      statusCode: 409,
      conflict: true,
      notFound: false,
      operation: 'createContainer',
    });
    expect(error.message).toBe('createContainer: Conflict. The container name "/x" is already in use');
  });
});

describe('toEngineEvent', () => {
  it('maps a die event with its labels and exit code', () => {
    const event = toEngineEvent({
      Type: 'container',
      Action: 'die',
      Actor: { ID: 'abc', Attributes: { exitCode: '137', image: 'img', name: 'n', 'berth.app': 'a1' } },
      time: 1_700_000_000,
      timeNano: 1_700_000_000_000_000_000,
    });
    expect(event).toEqual({
      type: 'die',
      containerId: 'abc',
      labels: { 'berth.app': 'a1' },
      exitCode: 137,
      time: new Date(1_700_000_000_000),
    });
  });

  it('ignores other event types and actions', () => {
    expect(toEngineEvent({ Type: 'network', Action: 'connect', Actor: { ID: 'n' } })).toBeUndefined();
    expect(
      toEngineEvent({ Type: 'container', Action: 'exec_start: sh', Actor: { ID: 'c' } }),
    ).toBeUndefined();
  });
});

describe('toContainerStats', () => {
  it('computes memory without the page cache and CPU as docker stats does', () => {
    const raw = {
      memory_stats: {
        usage: 100 * 1024 * 1024,
        limit: 256 * 1024 * 1024,
        stats: { total_inactive_file: 20 * 1024 * 1024 },
      },
      cpu_stats: {
        cpu_usage: { total_usage: 2_000_000_000 },
        system_cpu_usage: 20_000_000_000,
        online_cpus: 2,
      },
      precpu_stats: {
        cpu_usage: { total_usage: 1_000_000_000 },
        system_cpu_usage: 10_000_000_000,
        online_cpus: 2,
      },
      pids_stats: { current: 12 },
    } as unknown as Docker.ContainerStats;
    expect(toContainerStats(raw)).toEqual({
      memoryBytes: 80 * 1024 * 1024,
      memoryLimitBytes: 256 * 1024 * 1024,
      cpuPercent: 20,
      pids: 12,
    });
  });
});
