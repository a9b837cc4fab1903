import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DrainForwarding } from '../../libs/drains/index.js';
import { inviteUser, signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { cleanupTestRun, ensureRuntimeImage, waitFor } from '../support/docker.js';
import { uploadBuild, waitConverged } from '../support/lifecycle.js';
import { tarGz } from '../support/archives.js';
import { breaks, tickerApp } from './log-apps.js';

const APP = 'drained';
const BURST_APP = 'burst';

/** An app that prints only when asked: `GET /flood?n=N&tag=T` prints `flood T <i>` for i = 1..N. */
function quietApp(): Promise<Buffer> {
  return tarGz([
    { name: 'package.json', body: JSON.stringify({ name: 'quiet', version: '1.0.0', main: 'server.js' }) },
    {
      name: 'server.js',
      body: `const http = require('http');
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://app');
  const n = Number(url.searchParams.get('n')) || 0;
  const tag = url.searchParams.get('tag') || 'x';
  let i = 0;
  const write = () => {
    while (i < n) {
      i += 1;
      if (!process.stdout.write('flood ' + tag + ' ' + i + '\\n')) return process.stdout.once('drain', write);
    }
    res.end('ok');
  };
  write();
}).listen(Number(process.env.PORT));
process.on('SIGTERM', () => process.exit(0));
`,
    },
  ]);
}

/** A self-signed certificate for 127.0.0.1 (it is its own CA: the API trusts it via logDrainCaFile). */
function loopbackCertificate(dir: string): { cert: string; key: string; caFile: string } {
  // prettier-ignore
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return {
    cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'),
    caFile: path.join(dir, 'cert.pem'),
  };
}

/** Parses RFC 6587 octet-counted frames (`LEN SP MSG`) out of a TLS stream. */
function octetFrames(onMessage: (message: string) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const space = buffered.indexOf(0x20);
      if (space < 0) return;
      const length = Number(buffered.subarray(0, space).toString());
      if (!Number.isInteger(length)) throw new Error(`bad frame: ${buffered.subarray(0, 40).toString()}`);
      if (buffered.length < space + 1 + length) return;
      onMessage(buffered.subarray(space + 1, space + 1 + length).toString('utf8'));
      buffered = buffered.subarray(space + 1 + length);
    }
  };
}

/** `tick <n>` numbers in the order they arrived. */
function ticks(texts: string[]): number[] {
  return texts.flatMap((text) => {
    const match = /(?:^|\] )tick (\d+)$/.exec(text);
    return match ? [Number(match[1])] : [];
  });
}

/**
 * Log drains on real Docker: an app that numbers its lines, an HTTPS drain and a syslog+tls drain on
 * 127.0.0.1 (self-signed, trusted through BERTH_LOG_DRAIN_CA_FILE) that both receive them in order, and a
 * drain whose endpoint refuses connections, which counts its losses without holding the others back.
 */
describe('log drains on real Docker', () => {
  let api: TestApi;
  let owner: Session;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-drains-'));
  const certificate = loopbackCertificate(dir);
  const httpsTexts: string[] = [];
  const httpsContentTypes = new Set<string>();
  const syslogMessages: string[] = [];
  const httpsServer = https.createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      httpsContentTypes.add(String(req.headers['content-type']));
      for (const line of body.split('\n').filter(Boolean)) {
        httpsTexts.push((JSON.parse(line) as { text: string }).text);
      }
      res.writeHead(204).end();
    });
  });
  const syslogServer = tls.createServer({ cert: certificate.cert, key: certificate.key }, (socket) => {
    socket.on(
      'data',
      octetFrames((message) => syslogMessages.push(message)),
    );
    socket.on('error', () => undefined);
  });
  let httpsPort = 0;
  let syslogPort = 0;
  let refusedPort = 0;

  beforeAll(async () => {
    await ensureRuntimeImage();
    await new Promise<void>((resolve) => httpsServer.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => syslogServer.listen(0, '127.0.0.1', resolve));
    httpsPort = (httpsServer.address() as AddressInfo).port;
    syslogPort = (syslogServer.address() as AddressInfo).port;
    // A port that was free a moment ago: nothing listens there, so connections are refused.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    refusedPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    api = await startTestApi({
      runWorkers: true,
      reconcileIntervalMs: 500,
      drainDelayMs: 500,
      webhooksAllowLoopback: true,
      logDrainCaFile: certificate.caFile,
      logDrainRetryBaseMs: 50,
    });
    owner = await signupOwner(api, 'drains');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'hobby' }).expect(200);
    await api.http.post('/v1/apps').set(owner.auth).send({ name: APP }).expect(201);
  }, 180_000);

  afterAll(async () => {
    // Drains are read by every worker process on this database: leave none for the next test file.
    for (const app of [APP, 'idle', BURST_APP]) {
      const listed = await api?.http.get(`/v1/apps/${app}/drains`).set(owner.auth);
      for (const drain of (listed?.body as { id: string }[] | undefined) ?? []) {
        await api.http.delete(`/v1/apps/${app}/drains/${drain.id}`).set(owner.auth);
      }
    }
    await api?.close();
    await cleanupTestRun();
    await new Promise((resolve) => httpsServer.close(resolve));
    await new Promise((resolve) => syslogServer.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('refuses URLs that are not https or syslog+tls, and a sixth drain', async () => {
    for (const url of ['http://logs.example.com/', 'syslog://127.0.0.1:514', 'syslog+tls://127.0.0.1']) {
      const res = await api.http.post(`/v1/apps/${APP}/drains`).set(owner.auth).send({ url }).expect(422);
      expect(res.body).toMatchObject({ code: 'invalid_drain_url' });
    }
    // On an app that is not running, so nothing is forwarded to these.
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'idle' }).expect(201);
    for (let i = 0; i < 5; i++) {
      await api.http
        .post('/v1/apps/idle/drains')
        .set(owner.auth)
        .send({ url: `https://127.0.0.1:${refusedPort}/` })
        .expect(201);
    }
    const sixth = await api.http
      .post('/v1/apps/idle/drains')
      .set(owner.auth)
      .send({ url: `https://127.0.0.1:${refusedPort}/` })
      .expect(403);
    expect(sixth.body).toMatchObject({ code: 'quota_exceeded', limit: 5 });
    const listed = await api.http.get('/v1/apps/idle/drains').set(owner.auth).expect(200);
    expect(listed.body).toHaveLength(5);
    expect(listed.body[0]).toEqual({
      id: expect.any(String),
      url: `https://127.0.0.1:${refusedPort}/`,
      linesSent: 0,
      linesDropped: 0,
      lastError: null,
      lastSentAt: null,
      createdAt: expect.any(String),
    });
    await api.http.delete(`/v1/apps/idle/drains/${listed.body[0].id}`).set(owner.auth).expect(204);
    expect((await api.http.get('/v1/apps/idle/drains').set(owner.auth).expect(200)).body).toHaveLength(4);
  });

  it('lets owners and admins change drains; members only list them, a key without logs:read cannot; other tenants get 404', async () => {
    const admin = await inviteUser(api, owner, 'admin');
    const member = await inviteUser(api, owner, 'member');
    const appsReadKey = await api.http
      .post('/v1/api-keys')
      .set(owner.auth)
      .send({ name: 'apps-read', scopes: ['apps:read'] })
      .expect(201);
    const stranger = await signupOwner(api, 'drains-stranger');
    const url = `syslog+tls://127.0.0.1:${refusedPort}`;
    const refused = await api.http.post('/v1/apps/idle/drains').set(member.auth).send({ url }).expect(403);
    expect(refused.body).toMatchObject({ code: 'forbidden' });
    await api.http.get('/v1/apps/idle/drains').set(member.auth).expect(200);
    await api.http
      .get('/v1/apps/idle/drains')
      .set({ Authorization: `Bearer ${appsReadKey.body.secret}` })
      .expect(403);
    const added = await api.http.post('/v1/apps/idle/drains').set(admin.auth).send({ url }).expect(201);
    await api.http.delete(`/v1/apps/idle/drains/${added.body.id}`).set(member.auth).expect(403);
    await api.http.get('/v1/apps/idle/drains').set(stranger.auth).expect(404);
    await api.http.delete(`/v1/apps/idle/drains/${added.body.id}`).set(stranger.auth).expect(404);
    await api.http.delete(`/v1/apps/idle/drains/${added.body.id}`).set(admin.auth).expect(204);
  });

  it('forwards the lines in order to an HTTPS and a syslog+tls drain, while a refused drain counts losses', async () => {
    for (const url of [
      `https://127.0.0.1:${httpsPort}/ingest`,
      `syslog+tls://127.0.0.1:${syslogPort}`,
      `syslog+tls://127.0.0.1:${refusedPort}`,
    ]) {
      await api.http.post(`/v1/apps/${APP}/drains`).set(owner.auth).send({ url }).expect(201);
    }
    await uploadBuild(api, owner, APP, await tickerApp());
    await waitFor('the app to run', async () => (await waitConverged(api, owner, APP)).endpoints[0], {
      timeoutMs: 90_000,
      intervalMs: 300,
    });
    // Besides the loop: with other test files sharing the database, another process may hold its lock.
    const forwarding = api.app.get(DrainForwarding);
    await waitFor(
      '40 ticks at both drains',
      async () => {
        await forwarding.runPass();
        return ticks(httpsTexts).length >= 40 && ticks(syslogMessages).length >= 40;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );

    expect(httpsContentTypes).toEqual(new Set(['application/x-ndjson']));
    const httpsTicks = ticks(httpsTexts);
    expect(breaks(httpsTicks)).toEqual([]);
    const syslogTicks = ticks(syslogMessages);
    expect(breaks(syslogTicks)).toEqual([]);
    const tick = syslogMessages.find((message) => /\] tick \d+$/.test(message))!;
    expect(tick).toMatch(
      new RegExp(
        `^<14>1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{6}Z \\S+ ${APP} \\S+ stdout \\[berth@32473 container="[0-9a-f]+"\\] tick \\d+$`,
      ),
    );
    expect(syslogMessages.some((message) => /^<11>1 .* stderr .* warn \d+$/.test(message))).toBe(true);

    const counters = await waitFor(
      'the counters flushed, the refused drain counting its drops',
      async () => {
        await forwarding.runPass();
        const res = await api.http.get(`/v1/apps/${APP}/drains`).set(owner.auth).expect(200);
        const byUrl = new Map<
          string,
          { linesSent: number; linesDropped: number; lastError: string | null; lastSentAt: string | null }
        >(res.body.map((drain: { url: string }) => [drain.url, drain]));
        const refused = byUrl.get(`syslog+tls://127.0.0.1:${refusedPort}`)!;
        return refused.linesDropped > 0 ? byUrl : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const refused = counters.get(`syslog+tls://127.0.0.1:${refusedPort}`)!;
    expect(refused).toMatchObject({
      linesSent: 0,
      lastSentAt: null,
      lastError: expect.stringMatching(/ECONNREFUSED/),
    });
    for (const url of [`https://127.0.0.1:${httpsPort}/ingest`, `syslog+tls://127.0.0.1:${syslogPort}`]) {
      expect(counters.get(url)).toMatchObject({
        linesSent: expect.any(Number),
        linesDropped: 0,
        lastError: null,
        lastSentAt: expect.any(String),
      });
      expect(counters.get(url)!.linesSent).toBeGreaterThanOrEqual(40);
    }
  }, 240_000);

  it('delivers every line of a burst to a syslog drain, with counts that add up', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: BURST_APP }).expect(201);
    const drain = (
      await api.http
        .post(`/v1/apps/${BURST_APP}/drains`)
        .set(owner.auth)
        .send({ url: `syslog+tls://127.0.0.1:${syslogPort}` })
        .expect(201)
    ).body as { id: string };
    await uploadBuild(api, owner, BURST_APP, await quietApp());
    const endpoint = await waitFor(
      'the app to run',
      async () => (await waitConverged(api, owner, BURST_APP)).endpoints[0],
      { timeoutMs: 90_000, intervalMs: 300 },
    );
    // This app's messages (the syslog APP-NAME field), and the numbers of one tag's flood lines.
    const received = () => syslogMessages.filter((message) => message.split(' ')[3] === BURST_APP);
    const flood = (tag: string) =>
      received().flatMap((message) => {
        const match = new RegExp(`\\] flood ${tag} (\\d+)$`).exec(message);
        return match ? [Number(match[1])] : [];
      });
    const forwarding = api.app.get(DrainForwarding);
    // The drain forwards this app once a probe line arrives; the burst follows.
    await waitFor(
      'the drain to forward the app',
      async () => {
        await forwarding.runPass();
        await fetch(`${endpoint}/flood?n=1&tag=probe`);
        return flood('probe').length > 0 || undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const BURST = 5000;
    expect((await fetch(`${endpoint}/flood?n=${BURST}&tag=burst`)).status).toBe(200);
    await waitFor(
      'every line of the burst at the receiver',
      async () => flood('burst').length >= BURST || undefined,
      {
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    expect(flood('burst')).toEqual(Array.from({ length: BURST }, (_, i) => i + 1));
    // What the drain says it sent is what the receiver got for this app (probes, the burst, Berth's own
    // lines), and nothing was dropped.
    const counted = await waitFor(
      'the counters flushed',
      async () => {
        await forwarding.runPass();
        const listed = (await api.http.get(`/v1/apps/${BURST_APP}/drains`).set(owner.auth).expect(200))
          .body as {
          id: string;
          linesSent: number;
        }[];
        const row = listed.find((candidate) => candidate.id === drain.id)!;
        return row.linesSent === received().length ? row : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    console.log(
      `[drains] burst of ${BURST}: the receiver got ${received().length} messages, the drain counts ${counted.linesSent} sent`,
    );
    expect(counted).toMatchObject({ linesDropped: 0, lastError: null });
  }, 240_000);
});
