import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { requestBodies } from './request-bodies.js';

/** A server behind requestBodies that answers what the middleware left: the body, or its error. */
async function parsingServer() {
  const parse = requestBodies();
  const server = http.createServer((request, response) =>
    parse(request, response, (error) => {
      const failure = error as { status?: number; type?: string } | undefined;
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify(
          failure
            ? { status: failure.status, type: failure.type }
            : {
                hasBody: 'body' in request,
                body: (request as http.IncomingMessage & { body?: unknown }).body,
              },
        ),
      );
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** GET with a body, which fetch refuses to send. */
function getWithBody(url: string, body: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'GET', agent: false, headers: { 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve(JSON.parse(text)));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

describe('requestBodies', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  it('parses a JSON body and a URL-encoded one', async () => {
    const server = await parsingServer();
    close = server.close;
    const json = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: [1, 2] }),
    });
    expect(await json.json()).toEqual({ hasBody: true, body: { a: [1, 2] } });
    const form = await fetch(server.url, {
      method: 'PUT',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a[b]=c',
    });
    expect(await form.json()).toEqual({ hasBody: true, body: { a: { b: 'c' } } });
  });

  it('refuses a JSON body over 1 MB (413), malformed JSON and lone surrogates (400)', async () => {
    const server = await parsingServer();
    close = server.close;
    const large = await fetch(server.url, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(1_100_000) }),
    });
    expect(await large.json()).toEqual({ status: 413, type: 'entity.too.large' });
    const malformed = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(await malformed.json()).toEqual({ status: 400, type: 'entity.parse.failed' });
    for (const body of ['{"command":["node","\\ud800"]}', '{"\\udc00":1}']) {
      const lone = await fetch(server.url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(await lone.json()).toEqual({ status: 400, type: 'entity.parse.failed' });
    }
    const pair = await fetch(server.url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"text":"\\ud83d\\ude80"}',
    });
    expect(await pair.json()).toEqual({ hasBody: true, body: { text: '\u{1F680}' } });
  });

  it('leaves the body of a GET unread, even malformed', async () => {
    const server = await parsingServer();
    close = server.close;
    expect(await getWithBody(server.url, '{"a":')).toEqual({ hasBody: false });
    expect(await getWithBody(server.url, '{"a":1}')).toEqual({ hasBody: false });
  });
});
