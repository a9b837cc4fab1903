import { afterEach, describe, expect, it } from '@jest/globals';
import net from 'node:net';
import { READINESS_WATCH_MAX, ReadinessWatch } from './readiness-watch.js';

/** A port on 127.0.0.1 where nothing listens now (a connect is refused). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const target = (port: number, startedAt = new Date()) => ({
  published: { address: '127.0.0.1', port: 1 },
  direct: { address: '127.0.0.1', port },
  startedAt,
});

describe('ReadinessWatch', () => {
  const servers: net.Server[] = [];
  let watch = new ReadinessWatch();
  afterEach(async () => {
    watch.onApplicationShutdown();
    watch = new ReadinessWatch();
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('tells its listeners the app as soon as the container starts listening, once', async () => {
    const port = await freePort();
    const told: string[] = [];
    const accepted = new Promise<void>((resolve) =>
      watch.onAccepting((appId) => {
        told.push(appId);
        resolve();
      }),
    );
    watch.watch('c1', 'app-1', target(port));
    watch.watch('c1', 'app-1', target(port)); // the same container again: one watch
    expect(watch.watching).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50)); // refused meanwhile: still watching
    expect(watch.watching).toBe(1);
    const server = net.createServer((socket) => socket.destroy());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await accepted;
    expect(told).toEqual(['app-1']);
    await new Promise((resolve) => setImmediate(resolve)); // the watch's own end follows its listeners
    expect(watch.watching).toBe(0);
  });

  it('watches a bounded number of containers, and none whose refusals are no longer trusted', async () => {
    const port = await freePort();
    for (let i = 0; i < READINESS_WATCH_MAX + 5; i++) watch.watch(`c${i}`, 'app-1', target(port));
    expect(watch.watching).toBe(READINESS_WATCH_MAX);
    watch.onApplicationShutdown();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(watch.watching).toBe(0);

    // Started long ago: the reconciler's own looks (and the published port) decide, not a watch.
    watch.watch('old', 'app-1', target(port, new Date(Date.now() - 60_000)));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(watch.watching).toBe(0);
  });
});
