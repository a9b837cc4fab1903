import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { requestIdOf, requestLog, requestOutcome } from './request-log.js';

/** A server whose every request goes through requestLog, then answers `status`; lines land in `lines`. */
async function loggedServer(status: number, level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
  const log = requestLog(destination, level);
  const server = http.createServer((request, response) =>
    log(request, response, () => {
      response.statusCode = status;
      response.end('{}');
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    lines,
    flush: () => log.flush(),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The line is written on the response's close, a tick after the client has its answer. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('requestLog', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('writes one line per request: id, method, path without its query, status, milliseconds', async () => {
    const server = await loggedServer(200);
    close = server.close;
    await fetch(`${server.url}/v1/apps/x/logs?token=lst_secret`, {
      headers: { authorization: 'Bearer the-bearer', 'x-request-id': 'abc-123' },
    });
    await until(() => server.lines.length === 1);
    expect(server.lines).toHaveLength(1);
    const [line] = server.lines;
    expect(line).toMatchObject({
      level: 30,
      service: 'berth-api',
      req: { id: 'abc-123', method: 'GET', path: '/v1/apps/x/logs' },
      res: { statusCode: 200 },
      msg: 'request completed',
    });
    expect(typeof line!.responseTime).toBe('number');
    expect(JSON.stringify(line)).not.toContain('lst_secret');
    expect(JSON.stringify(line)).not.toContain('the-bearer');
  });

  it('logs a 5xx answer at error level', async () => {
    const server = await loggedServer(503);
    close = server.close;
    await fetch(server.url);
    await until(() => server.lines.length === 1);
    expect(server.lines[0]).toMatchObject({ level: 50, msg: 'request errored', res: { statusCode: 503 } });
  });

  it('writes nothing below its level, and answers all the same', async () => {
    const server = await loggedServer(200, 'warn');
    close = server.close;
    expect((await fetch(server.url)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
    server.flush();
    expect(server.lines).toEqual([]);
  });
});

describe('requestIdOf', () => {
  it('keeps a sane X-Request-Id and replaces anything else with a new UUID', () => {
    expect(requestIdOf('abc-123.x_y')).toBe('abc-123.x_y');
    for (const bad of [undefined, '', 'a b', 'x'.repeat(65), '"}{', ['a', 'b']]) {
      expect(requestIdOf(bad)).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });
});

describe('requestOutcome', () => {
  it('names an answer that never ended an aborted request', () => {
    expect(requestOutcome(200, true)).toEqual({ level: 'info', msg: 'request completed' });
    expect(requestOutcome(404, true)).toEqual({ level: 'info', msg: 'request completed' });
    expect(requestOutcome(200, false)).toEqual({ level: 'info', msg: 'request aborted' });
    expect(requestOutcome(500, true)).toEqual({ level: 'error', msg: 'request errored' });
  });
});
