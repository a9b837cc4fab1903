import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeHttp } from './health-probe.js';

/** A loopback server whose answer per path the test picks: the probe's only peer. */
describe('probeHttp', () => {
  let server: http.Server;
  let port: number;
  const seen: string[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/slow') return; // never answers; closeAllConnections ends it
      if (req.url === '/moved') return void res.writeHead(302, { location: 'http://127.0.0.2/' }).end();
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      res.writeHead(status).end('x'.repeat(100_000));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const check = { path: '/healthz', statusMin: 200, statusMax: 399, timeoutMs: 500 };

  it('passes on a status inside the range and fails outside it', async () => {
    expect(await probeHttp('127.0.0.1', port, check)).toEqual({
      ok: true,
      detail: 'GET /healthz answered 200',
    });
    expect(await probeHttp('127.0.0.1', port, { ...check, path: '/healthz?status=500' })).toEqual({
      ok: false,
      detail: 'GET /healthz?status=500 answered 500 (expected 200-399)',
    });
    expect((await probeHttp('127.0.0.1', port, { ...check, path: '/?status=204', statusMax: 204 })).ok).toBe(
      true,
    );
    expect(seen).toContain('/healthz?status=500');
  });

  it('does not follow redirects: a 302 is judged as a status', async () => {
    expect(await probeHttp('127.0.0.1', port, { ...check, path: '/moved', statusMax: 299 })).toMatchObject({
      ok: false,
      detail: expect.stringContaining('answered 302'),
    });
  });

  it('fails on a timeout and on a refused connection', async () => {
    expect(await probeHttp('127.0.0.1', port, { ...check, path: '/slow' })).toEqual({
      ok: false,
      detail: 'GET /slow timed out after 500 ms',
    });
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await probeHttp('127.0.0.1', closedPort, check)).toMatchObject({
      ok: false,
      detail: expect.stringContaining('ECONNREFUSED'),
    });
  });
});
