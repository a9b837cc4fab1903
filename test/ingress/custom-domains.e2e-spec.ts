import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defaultHostname } from '../../libs/ingress/index.js';
import { signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, waitFor } from '../support/docker.js';
import { getWithHost } from '../support/host-request.js';
import { selfSigned } from '../support/self-signed.js';
import { uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { ensureHaproxyImage, identityApp } from '../load-balancer/load.js';
import { freePort } from '../support/ports.js';

/** GET / over HTTPS to the router on 127.0.0.1, with SNI and Host `name`, trusting only `ca`. */
function httpsGet(port: number, name: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: '/', servername: name, headers: { host: name }, ca, timeout: 5000 },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** The protocol the router picks by ALPN when the client offers h2 and HTTP/1.1. */
function negotiatedProtocol(port: number, name: string, ca: string): Promise<string | false | null> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, servername: name, ca, ALPNProtocols: ['h2', 'http/1.1'] },
      () => {
        resolve(socket.alpnProtocol);
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

const DOMAIN = 'www.example.test';
/** An apps domain of two labels: a wildcard certificate needs two labels after its `*`. */
const APPS_DOMAIN = 'apps.test';
const CHALLENGE = `_berth-challenge.${DOMAIN}`;

/**
 * Custom domains through the API, a DNS server this test runs on 127.0.0.1 (dns2) and the edge router on
 * real Docker: a domain routes only once its TXT record proves control; another tenant can claim the name
 * but never verify or route it; names under the apps domain and wildcards are refused; the plan bounds how
 * many a tenant adds.
 */
describe('custom domains', () => {
  let api: TestApi;
  let owner: Session;
  let rival: Session;
  let dns: TestDnsServer;
  let routerUrl: string;
  let httpsPort: number;
  let appsCertificate: { cert: string; key: string };
  let appsCertificateDir: string | undefined;
  const engine = testEngine();
  const saved = { ...process.env };

  beforeAll(async () => {
    await ensureRuntimeImage(engine);
    await ensureHaproxyImage(engine);
    dns = await startDnsServer();
    routerUrl = `http://127.0.0.1:${await freePort()}/`;
    process.env.BERTH_INGRESS_HTTP_PORT = new URL(routerUrl).port;
    process.env.BERTH_INGRESS_SYNC_MS = '300';
    httpsPort = await freePort();
    process.env.BERTH_INGRESS_HTTPS_PORT = String(httpsPort);
    process.env.BERTH_APPS_DOMAIN = APPS_DOMAIN;
    appsCertificate = selfSigned(`*.${APPS_DOMAIN}`);
    appsCertificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-apps-cert-'));
    process.env.BERTH_APPS_CERT_FILE = path.join(appsCertificateDir, 'apps.pem');
    fs.writeFileSync(process.env.BERTH_APPS_CERT_FILE, `${appsCertificate.cert}${appsCertificate.key}`);
    process.env.BERTH_DNS_SERVERS = dns.address;
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    owner = await signupOwner(api, 'domains');
    rival = await signupOwner(api, 'rival');
    for (const session of [owner, rival]) {
      await api.http.put('/v1/tenant/plan').set(session.auth).send({ planId: 'hobby' }).expect(200);
    }
  }, 300_000);

  afterAll(async () => {
    process.env = saved;
    await api?.close();
    await dns?.close();
    if (appsCertificateDir) fs.rmSync(appsCertificateDir, { recursive: true, force: true });
    await cleanupTestRun(engine);
  }, 120_000);

  it('routes a domain only after its TXT record is verified, and never for another tenant', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'site', replicas: 1 }).expect(201);
    const build = await uploadBuild(api, owner, 'site', await identityApp('v1'));
    expect((await waitForBuild(api, owner, 'site', build)).status).toBe('succeeded');
    await waitConverged(api, owner, 'site', 180_000);
    const me = await api.http.get('/v1/me').set(owner.auth).expect(200);
    const defaultHost = defaultHostname({
      appName: 'site',
      tenantId: owner.tenantId,
      tenantName: me.body.tenant.name as string,
      appsDomain: APPS_DOMAIN,
    });
    await waitFor(
      'the app at its default hostname',
      async () => (await getWithHost(routerUrl, defaultHost).catch(() => undefined))?.status === 200,
      { timeoutMs: 60_000, intervalMs: 300 },
    );

    const added = await api.http.post('/v1/apps/site/domains').set(owner.auth).send({ hostname: DOMAIN });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      hostname: DOMAIN,
      status: 'pending',
      challenge: { type: 'dns-txt', name: CHALLENGE },
    });
    const token = added.body.challenge.value as string;
    expect(token).toMatch(/^[0-9a-f]{40}$/);

    // Pending: the router does not know the name.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await getWithHost(routerUrl, DOMAIN)).status).toBe(404);

    // No record yet: refused, and the reason shows on the domain.
    const early = await api.http.post(`/v1/apps/site/domains/${DOMAIN}/verify`).set(owner.auth);
    expect(early.status).toBe(422);
    expect(early.body.code).toBe('domain_not_verified');
    const listed = await api.http.get('/v1/apps/site/domains').set(owner.auth).expect(200);
    expect(listed.body).toEqual([expect.objectContaining({ hostname: DOMAIN, status: 'pending' })]);
    expect(listed.body[0].lastError).toContain(CHALLENGE);

    // Another tenant may claim the name (a claim proves nothing) but not verify it with the owner's record.
    await api.http.post('/v1/apps').set(rival.auth).send({ name: 'copy' }).expect(201);
    const claim = await api.http.post('/v1/apps/copy/domains').set(rival.auth).send({ hostname: DOMAIN });
    expect(claim.status).toBe(201);
    dns.setTxt(CHALLENGE, [token]);
    const rivalEarly = await api.http.post(`/v1/apps/copy/domains/${DOMAIN}/verify`).set(rival.auth);
    expect(rivalEarly.status).toBe(422);

    const verified = await api.http.post(`/v1/apps/site/domains/${DOMAIN}/verify`).set(owner.auth);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ hostname: DOMAIN, status: 'verified', lastError: null });
    const routed = await waitFor(
      'the verified domain to route to the app',
      async () => {
        const res = await getWithHost(routerUrl, DOMAIN);
        return res.status === 200 ? res : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    expect(routed.text).toMatch(/ v1$/);

    // Even with its own token published too, the rival cannot take a verified name, nor claim it anew.
    dns.setTxt(CHALLENGE, [token, claim.body.challenge.value as string]);
    const stolen = await api.http.post(`/v1/apps/copy/domains/${DOMAIN}/verify`).set(rival.auth);
    expect(stolen.status).toBe(409);
    expect(stolen.body.code).toBe('domain_taken');
    await api.http.delete(`/v1/apps/copy/domains/${DOMAIN}`).set(rival.auth).expect(204);
    const again = await api.http.post('/v1/apps/copy/domains').set(rival.auth).send({ hostname: DOMAIN });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('domain_taken');
    // The owner's app is "not found" to the rival.
    await api.http.get('/v1/apps/site/domains').set(rival.auth).expect(404);
    expect((await getWithHost(routerUrl, DOMAIN)).status).toBe(200);

    // HTTPS with an uploaded certificate: refused when it does not cover the name; then served, with h2 by
    // ALPN, and plain HTTP for the name redirected.
    const wrong = selfSigned('other.example.test');
    const refused = await api.http
      .put(`/v1/apps/site/domains/${DOMAIN}/certificate`)
      .set(owner.auth)
      .send({ certificate: wrong.cert, privateKey: wrong.key });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('certificate_rejected');
    const own = selfSigned(DOMAIN);
    const uploaded = await api.http
      .put(`/v1/apps/site/domains/${DOMAIN}/certificate`)
      .set(owner.auth)
      .send({ certificate: own.cert, privateKey: own.key });
    expect(uploaded.status).toBe(200);
    expect(uploaded.body.certificate).toMatchObject({ source: 'uploaded' });
    expect(JSON.stringify(uploaded.body)).not.toContain('PRIVATE KEY');
    const secure = await waitFor(
      'the domain over HTTPS',
      async () => {
        const res = await httpsGet(httpsPort, DOMAIN, own.cert).catch(() => undefined);
        return res?.status === 200 ? res : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(secure.text).toMatch(/ v1$/);
    expect(await negotiatedProtocol(httpsPort, DOMAIN, own.cert)).toBe('h2');
    // The old worker may still take a connection or two on the HTTP port right after the reload.
    await waitFor(
      'plain HTTP for the domain to redirect',
      async () => {
        const res = await getWithHost(routerUrl, DOMAIN);
        return res.status === 308 && res.headers.location === `https://${DOMAIN}/` ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 200 },
    );
    process.stdout.write(`[ingress] HTTPS with an uploaded certificate: 200, ALPN h2, HTTP → 308\n`);
    // The default hostname over HTTPS with the apps domain's wildcard certificate from configuration.
    const byDefault = await httpsGet(httpsPort, defaultHost, appsCertificate.cert);
    expect(byDefault.status).toBe(200);

    // Removing the domain stops its routing.
    await api.http.delete(`/v1/apps/site/domains/${DOMAIN}`).set(owner.auth).expect(204);
    await waitFor(
      'the removed domain to answer 404',
      async () => (await getWithHost(routerUrl, DOMAIN)).status === 404,
      { timeoutMs: 30_000, intervalMs: 300 },
    );
  }, 600_000);

  it('refuses wildcards and names under the apps domain, and bounds domains by plan', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'quota' }).expect(201);
    for (const hostname of [
      '*.example.test',
      `other-site.${APPS_DOMAIN}`,
      APPS_DOMAIN,
      'Upper.Example.test',
      'x',
    ]) {
      const res = await api.http.post('/v1/apps/quota/domains').set(owner.auth).send({ hostname });
      expect({ hostname, status: res.status, code: res.body.code }).toEqual({
        hostname,
        status: 422,
        code: 'invalid_hostname',
      });
    }
    // hobby: 2 per tenant.
    await api.http
      .post('/v1/apps/quota/domains')
      .set(owner.auth)
      .send({ hostname: 'a.example.test' })
      .expect(201);
    await api.http
      .post('/v1/apps/quota/domains')
      .set(owner.auth)
      .send({ hostname: 'b.example.test' })
      .expect(201);
    const over = await api.http
      .post('/v1/apps/quota/domains')
      .set(owner.auth)
      .send({ hostname: 'c.example.test' });
    expect(over.status).toBe(403);
    expect(over.body).toMatchObject({ code: 'quota_exceeded', quota: 'maxCustomDomains', limit: 2 });
    const twice = await api.http
      .post('/v1/apps/quota/domains')
      .set(owner.auth)
      .send({ hostname: 'a.example.test' });
    expect(twice.status).toBe(403);
  });
});
