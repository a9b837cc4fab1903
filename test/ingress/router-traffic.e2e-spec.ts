import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import WebSocket from 'ws';
import { DataSource } from 'typeorm';
import {
  defaultHostname,
  EdgeRouter,
  IngressLoop,
  RouterTrafficCollector,
} from '../../libs/ingress/index.js';
import { signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { tarGz } from '../support/archives.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, waitFor } from '../support/docker.js';
import { getWithHost } from '../support/host-request.js';
import { uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { ensureHaproxyImage } from '../load-balancer/load.js';
import { StreamClient } from '../logs/stream-client.js';
import { freePort } from '../support/ports.js';
import { selfSigned } from '../support/self-signed.js';

const BODY_BYTES = 20_000;

/**
 * An app with no dependencies: GET answers BODY_BYTES of `x`, and a WebSocket upgrade (the handshake
 * and text frames of RFC 6455, small ones only) echoes each text message as `echo:<message>`.
 */
function echoApp(): Promise<Buffer> {
  return tarGz([
    {
      name: 'package.json',
      body: JSON.stringify({ name: 'echo', version: '1.0.0', scripts: { start: 'node server.js' } }),
    },
    {
      name: 'server.js',
      body: `const http = require('http');
const crypto = require('crypto');
const body = 'x'.repeat(${BODY_BYTES});
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(req.url === '/healthz' ? 'ok' : body);
});
server.on('upgrade', (req, socket) => {
  const accept = crypto.createHash('sha1')
    .update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n' +
    'Sec-WebSocket-Accept: ' + accept + '\\r\\n\\r\\n');
  let buffered = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 6) {
      const opcode = buffered[0] & 0x0f;
      const length = buffered[1] & 0x7f;
      if (length > 125) return socket.destroy();
      if (buffered.length < 6 + length) return;
      const mask = buffered.subarray(2, 6);
      const data = Buffer.from(buffered.subarray(6, 6 + length));
      for (let i = 0; i < data.length; i++) data[i] ^= mask[i % 4];
      buffered = buffered.subarray(6 + length);
      if (opcode === 8) return socket.end(Buffer.from([0x88, 0]));
      if (opcode !== 1) continue;
      const out = Buffer.from('echo:' + data.toString()).subarray(0, 125);
      socket.write(Buffer.concat([Buffer.from([0x81, out.length]), out]));
    }
  });
});
server.listen(process.env.PORT, () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`,
    },
  ]);
}

/** One text message through a WebSocket at the router, with the app's Host; resolves with the reply. */
function echoThroughRouter(port: number, host: string, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { host }, handshakeTimeout: 5000 });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no echo within 5 s'));
    }, 5000);
    ws.on('open', () => ws.send(message));
    ws.on('message', (data) => {
      clearTimeout(timer);
      ws.close();
      resolve(data.toString());
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** GET / over HTTP/2 (ALPN h2 over TLS, SNI `host`) at the router; resolves with status and protocol. */
function http2Get(port: number, host: string, ca: string): Promise<{ status: number; alpn: string }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { servername: host, ca });
    session.on('error', reject);
    const req = session.request({ ':path': '/', ':authority': host });
    req.setTimeout(5000, () => req.close(http2.constants.NGHTTP2_CANCEL));
    let status = 0;
    req.on('response', (headers) => (status = Number(headers[':status'])));
    req.on('data', () => undefined);
    req.on('end', () => {
      const alpn = session.alpnProtocol ?? '';
      session.close();
      resolve({ status, alpn });
    });
    req.on('error', (error) => {
      session.destroy();
      reject(error);
    });
    req.end();
  });
}

interface RouterLine {
  stream: string;
  replica: string;
  containerId: string;
  text: string;
}

const requestIdOf = (line: RouterLine) => /request_id=(\S+)/.exec(line.text)?.[1];

const APPS_DOMAIN = 'apps.test';
const REQUESTS = 6;

/**
 * Through the edge router on real Docker: a WebSocket echoes at the app's default hostname, an HTTP/2
 * request over TLS gets 200, and after REQUESTS plain GETs the app's log (REST and the live WebSocket
 * follow) holds a `router` line for each with the status and request id the client saw; the usage
 * records (kind egress) count at least the body bytes the app sent.
 */
describe('router lines, egress, WebSocket and HTTP/2 through the edge router', () => {
  let api: TestApi;
  let owner: Session;
  let routerPort: number;
  let httpsPort: number;
  let host: string;
  let certificate: { cert: string; key: string };
  let certificateDir: string | undefined;
  const engine = testEngine();
  const saved = { ...process.env };

  beforeAll(async () => {
    await ensureRuntimeImage(engine);
    await ensureHaproxyImage(engine);
    routerPort = await freePort();
    httpsPort = await freePort();
    process.env.BERTH_INGRESS_HTTP_PORT = String(routerPort);
    process.env.BERTH_INGRESS_HTTPS_PORT = String(httpsPort);
    process.env.BERTH_INGRESS_SYNC_MS = '300';
    process.env.BERTH_APPS_DOMAIN = APPS_DOMAIN;
    certificate = selfSigned(`*.${APPS_DOMAIN}`);
    certificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-router-apps-cert-'));
    process.env.BERTH_APPS_CERT_FILE = path.join(certificateDir, 'apps.pem');
    fs.writeFileSync(process.env.BERTH_APPS_CERT_FILE, `${certificate.cert}${certificate.key}`);
    api = await startTestApi({
      runWorkers: true,
      reconcileIntervalMs: 500,
      usageWindowSeconds: 1,
      meterIntervalMs: 500,
    });
    owner = await signupOwner(api, 'router-traffic');
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'echo', replicas: 1 }).expect(201);
    const build = await uploadBuild(api, owner, 'echo', await echoApp());
    expect((await waitForBuild(api, owner, 'echo', build)).status).toBe('succeeded');
    await waitConverged(api, owner, 'echo', 180_000);
    const me = await api.http.get('/v1/me').set(owner.auth).expect(200);
    host = defaultHostname({
      appName: 'echo',
      tenantId: owner.tenantId,
      tenantName: me.body.tenant.name as string,
      appsDomain: APPS_DOMAIN,
    });
    await waitFor(
      'the app at its default hostname',
      async () =>
        (await getWithHost(`http://127.0.0.1:${routerPort}/`, host).catch(() => undefined))?.status === 200,
      { timeoutMs: 60_000, intervalMs: 300 },
    );
  }, 300_000);

  afterAll(async () => {
    process.env = saved;
    await api?.close();
    if (certificateDir) fs.rmSync(certificateDir, { recursive: true, force: true });
    await cleanupTestRun(engine);
  }, 120_000);

  it('passes a WebSocket upgrade through to the app and back', async () => {
    expect(await echoThroughRouter(routerPort, host, 'hello')).toBe('echo:hello');
  });

  it('answers an HTTP/2 request (ALPN h2 over TLS) with the app’s 200', async () => {
    await waitFor(
      'the HTTPS frontend (certificates reach a new router one sync later)',
      async () => (await http2Get(httpsPort, host, certificate.cert).catch(() => undefined))?.status === 200,
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    expect(await http2Get(httpsPort, host, certificate.cert)).toEqual({ status: 200, alpn: 'h2' });
  });

  it('puts a router line per request on the log (REST and live), and meters the bytes as egress', async () => {
    const follow = StreamClient.open(`ws://${new URL(api.url).host}/v1/apps/echo/log-stream`, {
      headers: owner.auth,
    });
    try {
      await follow.connected();
      const seen: string[] = [];
      for (let i = 0; i < REQUESTS; i++) {
        const res = await getWithHost(`http://127.0.0.1:${routerPort}/page-${i}?token=secret`, host);
        expect(res.status).toBe(200);
        expect(res.text).toHaveLength(BODY_BYTES);
        seen.push(String(res.headers['x-request-id']));
      }
      const matching = (lines: RouterLine[]) =>
        lines.filter((line) => line.stream === 'router' && seen.includes(requestIdOf(line) ?? ''));

      const live = await follow.until(
        `${REQUESTS} router lines on the live follow`,
        () => matching(follow.lines()).length >= REQUESTS && matching(follow.lines()),
        30_000,
      );
      expect(live).toHaveLength(REQUESTS);
      expect(new Set(live.map(requestIdOf))).toEqual(new Set(seen));
      for (const line of live) {
        expect(line.text).toMatch(
          /^method=GET path="\/page-\d" host=\S+ request_id=\S+ server=r-\S+ status=200 /,
        );
        expect(line.text).not.toContain('secret'); // query strings are dropped
        expect(line.replica).toMatch(/^router-/);
        expect(line.containerId).toBe(`berth-router-${routerPort}`);
      }

      const page = await api.http
        .get('/v1/apps/echo/logs?stream=router&tail=1000')
        .set(owner.auth)
        .expect(200);
      const rest = matching(page.body.lines as RouterLine[]);
      expect(rest.map(requestIdOf)).toEqual(seen); // one line per request, in the order they were made
      expect(rest.every((line) => line.text.includes(' status=200 '))).toBe(true);
      // REST and the live follow name the same line the same way: a cursor from one resumes the other.
      expect(rest.map((line) => [line.replica, line.containerId])).toEqual(
        live.map((line) => [line.replica, line.containerId]),
      );
    } finally {
      await follow.close();
    }

    // Egress windows close 30 s after their end (the meter's grace), then the meter moves them.
    const bytesOut = await waitFor(
      'egress usage records',
      async () => {
        const usage = await api.http.get('/v1/usage?kind=egress&limit=1000').set(owner.auth).expect(200);
        const records = usage.body.records as { kind: string; bytesOut: string; bytesIn: string }[];
        const total = records.reduce((sum, r) => sum + Number(r.bytesOut), 0);
        return total >= REQUESTS * BODY_BYTES ? total : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    expect(bytesOut).toBeGreaterThanOrEqual(REQUESTS * BODY_BYTES);
    const csv = await api.http.get('/v1/usage?kind=egress&format=csv').set(owner.auth).expect(200);
    expect(csv.text.split('\r\n')[0]).toContain('bytesIn,bytesOut');
    expect(csv.text).toContain(',egress,');
  }, 200_000);

  // Last in the file: it stops the ingress loop, so that the router's recreate is the only chance to
  // count these requests (the loop's next pass would otherwise count them before the kill).
  it('bills the requests a router served before it died and was recreated', async () => {
    await api.app.get(IngressLoop).onApplicationShutdown();
    const collector = api.app.get(RouterTrafficCollector);
    const appId = (await api.http.get('/v1/apps/echo').set(owner.auth).expect(200)).body.id as string;
    // Staged and metered bytes in one statement: the meter moves them between the tables atomically.
    const billed = async () =>
      Number(
        (
          await api.app.get(DataSource).query<{ n: string }[]>(
            `SELECT (SELECT coalesce(sum(bytes_out), 0) FROM router_traffic WHERE app_id = $1)
                  + (SELECT coalesce(sum(bytes_out), 0) FROM usage_records
                      WHERE kind = 'egress' AND subject_id = $1) AS n`,
            [appId],
          )
        )[0]!.n,
      );
    await collector.collectAll(); // what was served so far, so the difference is the requests below
    const before = await billed();
    for (let i = 0; i < REQUESTS; i++) {
      expect((await getWithHost(`http://127.0.0.1:${routerPort}/lost-${i}`, host)).status).toBe(200);
    }
    const router = `berth-router-${routerPort}`;
    await engine.killContainer({ id: router });
    await waitFor(
      'the router to stop',
      async () => !(await engine.inspectContainer({ id: router }))?.running,
      {
        timeoutMs: 10_000,
        intervalMs: 100,
      },
    );
    await api.app.get(EdgeRouter).syncAll(); // recreates it
    expect((await engine.inspectContainer({ id: router }))?.running).toBe(true);
    await collector.collectAll();
    expect((await billed()) - before).toBeGreaterThanOrEqual(REQUESTS * BODY_BYTES);
  }, 60_000);
});
