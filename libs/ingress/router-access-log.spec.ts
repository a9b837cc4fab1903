import { describe, expect, it } from '@jest/globals';
import {
  MAX_PATH_CHARS,
  parseRouterAccessLine,
  routerAccessLogLines,
  routerLogText,
} from './router-access-log.js';
import { renderRouterConfig } from './router-config.js';

const APP = '0b6f3c52-6f0e-4a59-9d5e-1c2f3a4b5c6d';
// What HAProxy 2.6 wrote for `curl -H 'Host: hello-x.localhost' 'http://…/a%20b/"q?tok=1'` (checked by hand).
const LINE = `berth-router-1 app-${APP} r-aa 200 500 98 14 15 7F000001:A28C_7F000001:49F3_6B1411D7_0000:0001 GET hello-x.localhost /a%20b/#22q`;

describe('router access lines', () => {
  it('parses what the router writes, attributing it by backend name', () => {
    expect(parseRouterAccessLine(LINE)).toEqual({
      appId: APP,
      server: 'r-aa',
      status: 200,
      bytesOut: 500,
      bytesIn: 98,
      serviceMs: 14,
      totalMs: 15,
      requestId: '7F000001:A28C_7F000001:49F3_6B1411D7_0000:0001',
      method: 'GET',
      host: 'hello-x.localhost',
      path: '/a%20b/#22q',
    });
  });

  it('attributes nothing to an app for unknown hosts, stopped apps and HAProxy messages', () => {
    expect(
      parseRouterAccessLine(
        'berth-router-1 unknown-host <NOSRV> 404 81 70 -1 0 7F000001:A296_7F000001:49F3_6B1411D7_0001:0001 GET zzz /',
      ),
    ).toBeUndefined();
    expect(parseRouterAccessLine(LINE.replace(`app-${APP}`, 'app-stopped'))).toBeUndefined();
    expect(parseRouterAccessLine('[NOTICE]   (1) : New worker (8) forked')).toBeUndefined();
    expect(parseRouterAccessLine('')).toBeUndefined();
  });

  it('refuses a line whose fields do not have their shapes (no forged app id, numbers or method)', () => {
    expect(parseRouterAccessLine(LINE.replace(`app-${APP}`, `app-${APP};x`))).toBeUndefined();
    expect(parseRouterAccessLine(LINE.replace(' 500 ', ' 5e2 '))).toBeUndefined();
    expect(parseRouterAccessLine(LINE.replace(' 500 ', ' 99999999999999999 '))).toBeUndefined();
    expect(parseRouterAccessLine(LINE.replace(' GET ', ' get<x> '))).toBeUndefined();
    expect(parseRouterAccessLine(LINE.split(' ').slice(0, 8).join(' '))).toBeUndefined();
    expect(parseRouterAccessLine(`${LINE}${'x'.repeat(5000)}`)).toBeUndefined();
  });

  it('bounds the path, keeps control characters out and leaves a strange Host unnamed', () => {
    const long = parseRouterAccessLine(`${LINE}/${'y'.repeat(2000)}`);
    expect(long?.path).toHaveLength(MAX_PATH_CHARS);
    expect(long?.path.endsWith('…')).toBe(true);
    expect(parseRouterAccessLine(`${LINE}\u0007\r`)?.path).toBe('/a%20b/#22q??');
    expect(parseRouterAccessLine(LINE.replace('hello-x.localhost', 'Evil"Host'))?.host).toBeUndefined();
  });

  it('says "no server" when HAProxy had none, and negative byte counts count nothing', () => {
    const line = parseRouterAccessLine(LINE.replace(' r-aa 200 500 ', ' <NOSRV> 503 -1 '));
    expect(line?.server).toBeUndefined();
    expect(line?.status).toBe(503);
    expect(line?.bytesOut).toBe(0);
  });

  it('shows a line as key=value pairs with the path quoted so it cannot fake a field', () => {
    const line = parseRouterAccessLine(LINE)!;
    expect(routerLogText(line)).toBe(
      `method=GET path="/a%20b/#22q" host=hello-x.localhost request_id=${line.requestId} server=r-aa status=200 bytes=500 bytes_in=98 service=14ms total=15ms`,
    );
    expect(routerLogText({ ...line, path: '/x" status=500 "' })).toContain('path="/x\\" status=500 \\""');
  });

  it('is written by both frontends of the router configuration', () => {
    const text = renderRouterConfig({
      listenAddress: '127.0.0.1',
      httpPort: 18080,
      keepAliveTimeoutMs: 2000,
      checkIntervalMs: 1000,
      routes: [],
      https: { port: 18443, hostnames: ['a.example.com'], certificatesHash: 'ab'.repeat(16) },
    });
    const format = routerAccessLogLines().join('\n');
    expect(text.split(format)).toHaveLength(3);
  });
});
