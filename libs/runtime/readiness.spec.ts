import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { engineIsLocal, readinessTarget, targetAccepts, tryConnect } from './readiness.js';

const local = { endpoint: 'unix:///var/run/docker.sock', publicAddress: '127.0.0.1' };
const remote = { endpoint: 'tcp://10.0.0.7:2376', publicAddress: '203.0.113.7' };

describe('readinessTarget', () => {
  const startedAt = new Date(0);
  const input = { hostPort: 32768, containerPort: 8080, containerAddress: '10.64.3.2', startedAt };

  it("probes the container's own address when the engine runs on this machine", () => {
    expect(readinessTarget({ ...input, host: local })).toEqual({
      published: { address: '127.0.0.1', port: 32768 },
      direct: { address: '10.64.3.2', port: 8080 },
      startedAt,
    });
  });

  it('keeps to the published port on a remote pool host, whose tenant networks are not routed here', () => {
    expect(readinessTarget({ ...input, host: remote })).toEqual({
      published: { address: '203.0.113.7', port: 32768 },
      startedAt,
    });
  });

  it('keeps to the published port when the address is unknown or not an IP address', () => {
    for (const containerAddress of [undefined, '', 'evil.example', '10.64.3.2:80']) {
      expect(readinessTarget({ ...input, host: local, containerAddress }).direct).toBeUndefined();
    }
  });

  it('counts only a unix socket as the local engine', () => {
    expect(engineIsLocal('unix:///run/docker.sock')).toBe(true);
    expect(engineIsLocal('tcp://127.0.0.1:2375')).toBe(false);
    expect(engineIsLocal('ssh://host')).toBe(false);
  });
});

describe('targetAccepts', () => {
  let listening: net.Server;
  let listeningPort: number;
  let closedPort: number;

  beforeAll(async () => {
    listening = net.createServer((socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    listeningPort = (listening.address() as net.AddressInfo).port;
    // A port that was just free: nothing listens on it, so a connect is refused.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    closedPort = (probe.address() as net.AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => listening.close(resolve));
  });

  const at = (port: number) => ({ address: '127.0.0.1', port });

  it('tells an accepted connect from a refused one', async () => {
    expect(await tryConnect('127.0.0.1', listeningPort)).toBe('accepted');
    expect(await tryConnect('127.0.0.1', closedPort)).toBe('refused');
  });

  it("is ready as soon as the container's own address accepts, with no settle", async () => {
    const target = { published: at(closedPort), direct: at(listeningPort), startedAt: new Date() };
    expect(await targetAccepts(target, 60_000)).toBe(true);
  });

  it('is not ready while the own address refuses, even if the published port accepts', async () => {
    const target = { published: at(listeningPort), direct: at(closedPort), startedAt: new Date() };
    expect(await targetAccepts(target, 10)).toBe(false);
  });

  it('asks the published port too once refusals outlast their trust (a firewall resetting, not the app)', async () => {
    const target = { published: at(listeningPort), direct: at(closedPort), startedAt: new Date(0) };
    expect(await targetAccepts(target, 10)).toBe(true);
  });

  it('keeps the settle on the published port when there is no own address', async () => {
    const target = { published: at(listeningPort), startedAt: new Date() };
    expect(await targetAccepts(target, 10)).toBe(true);
    expect(await targetAccepts({ published: at(closedPort), startedAt: new Date() }, 10)).toBe(false);
  });
});
