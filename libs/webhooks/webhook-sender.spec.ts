import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sendDelivery } from './webhook-sender.js';

/** One loopback server; the path picks its behaviour. */
describe('sendDelivery', () => {
  let server: http.Server;
  let port: number;
  const hits: string[] = [];
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      req.resume();
      if (req.url === '/hang') return;
      if (req.url === '/huge') {
        res.writeHead(200);
        const chunk = Buffer.alloc(64 * 1024, 120);
        const pump = (): void => {
          while (res.write(chunk));
          res.once('drain', pump);
        };
        pump();
        return;
      }
      res.writeHead(req.url === '/fail' ? 503 : 204).end();
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (path: string, allowLoopback = true, host = '127.0.0.1') =>
    sendDelivery({
      url: `http://${host}:${port}${path}`,
      body: '{}',
      headers: {},
      timeoutMs: 500,
      rules: { allowLoopback, deniedCidrs: [] },
    });

  it('reports the status code of an answer', async () => {
    expect(await send('/ok')).toMatchObject({ statusCode: 204, error: null });
    expect(await send('/fail')).toMatchObject({ statusCode: 503, error: null });
  });

  it('never connects to a name that resolves to a refused address (attack: DNS name pointing inside)', async () => {
    const before = hits.length;
    const outcome = await send('/ok', false, 'localhost');
    expect(outcome.statusCode).toBeNull();
    expect(outcome.error).toMatch(/^refused: .* is loopback$/);
    expect(hits.length).toBe(before);
  });

  it('ends a request the receiver never answers at the timeout', async () => {
    const outcome = await send('/hang');
    expect(outcome).toMatchObject({ statusCode: null });
    expect(outcome.error).toContain('timed out after 500 ms');
  });

  it('stops reading an endless body and keeps only the status (attack: memory exhaustion)', async () => {
    expect(await send('/huge')).toMatchObject({ statusCode: 200, error: null });
  });
});
