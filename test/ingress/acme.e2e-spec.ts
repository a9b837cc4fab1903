import https from 'node:https';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { signupOwner, startTestApi, type Session, type TestApi } from '../support/api.js';
import { migratedDataSource } from '../support/database.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { cleanupTestRun, ensureRuntimeImage, testEngine, waitFor } from '../support/docker.js';
import { uploadBuild, waitConverged, waitForBuild } from '../support/lifecycle.js';
import { startPebble, type TestPebble } from '../support/pebble.js';
import { ensureHaproxyImage, identityApp } from '../load-balancer/load.js';
import { freePort } from '../support/ports.js';

/** GET / over HTTPS to the router on 127.0.0.1 with SNI and Host `name`, trusting only `ca`; a new connection. */
function httpsGet(port: number, name: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        servername: name,
        headers: { host: name },
        ca,
        agent: false,
        timeout: 5000,
      },
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

/** The certificate the router serves for `name` (SNI), as the client sees it; not checked against a CA. */
function servedCertificate(port: number, name: string): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port, servername: name, rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerCertificate());
        socket.end();
      },
    );
    socket.on('error', reject);
  });
}

const DOMAIN = 'secure.acme.test';
/** Verified like DOMAIN, but the test's DNS server has no A record for it: pebble cannot reach it. */
const UNRESOLVED = 'nowhere.acme.test';

/**
 * ACME on real Docker against Debian's pebble on loopback: pebble resolves the test's names with a DNS
 * server this test runs (dns2) to 127.0.0.1, and fetches HTTP-01 challenges from the edge router's HTTP
 * port, where the router answers them from its rendered configuration. A verified domain asks for a
 * certificate, the ACME loop gets it issued, the router serves it by SNI; asked again, the certificate is
 * renewed while HTTPS clients keep getting answers; a name pebble cannot resolve ends `failed` with the
 * CA's error.
 */
describe('ACME certificates', () => {
  let api: TestApi;
  let owner: Session;
  let dns: TestDnsServer;
  let pebble: TestPebble | undefined;
  let httpsPort: number;
  const engine = testEngine();
  const saved = { ...process.env };

  beforeAll(async () => {
    await ensureRuntimeImage(engine);
    await ensureHaproxyImage(engine);
    dns = await startDnsServer();
    const httpPort = await freePort();
    httpsPort = await freePort();
    pebble = await startPebble({ dnsServer: dns.address, httpPort });
    Object.assign(process.env, {
      BERTH_INGRESS_HTTP_PORT: String(httpPort),
      BERTH_INGRESS_HTTPS_PORT: String(httpsPort),
      BERTH_INGRESS_SYNC_MS: '300',
      BERTH_APPS_DOMAIN: 'apps.test',
      BERTH_DNS_SERVERS: dns.address,
      BERTH_ACME_DIRECTORY_URL: pebble.directoryUrl,
      BERTH_ACME_CA_FILE: pebble.caFile,
      BERTH_ACME_EMAIL: 'operator@berth.test',
      BERTH_ACME_INTERVAL_MS: '500',
      // One failure shows (and plans a retry) without a retry storm during the test.
      BERTH_ACME_RETRY_BASE_MS: '600000',
      BERTH_ACME_MAX_ATTEMPTS: '3',
    });
    api = await startTestApi({ runWorkers: true, reconcileIntervalMs: 500 });
    owner = await signupOwner(api, 'acme');
    await api.http.put('/v1/tenant/plan').set(owner.auth).send({ planId: 'hobby' }).expect(200);
  }, 300_000);

  afterAll(async () => {
    process.env = saved;
    await api?.close();
    await pebble?.close();
    await dns?.close();
    await cleanupTestRun(engine);
  }, 120_000);

  /** Adds the domain to the app and verifies it with the TXT record the test's DNS server serves. */
  async function addVerified(app: string, hostname: string): Promise<void> {
    const added = await api.http.post(`/v1/apps/${app}/domains`).set(owner.auth).send({ hostname });
    expect(added.status).toBe(201);
    dns.setTxt(added.body.challenge.name as string, [added.body.challenge.value as string]);
    await api.http.post(`/v1/apps/${app}/domains/${hostname}/verify`).set(owner.auth).expect(200);
  }

  async function certificateOf(app: string, hostname: string): Promise<Record<string, unknown> | null> {
    const listed = await api.http.get(`/v1/apps/${app}/domains`).set(owner.auth).expect(200);
    const domain = (listed.body as { hostname: string; certificate: Record<string, unknown> | null }[]).find(
      (d) => d.hostname === hostname,
    );
    return domain?.certificate ?? null;
  }

  it('issues a certificate from pebble over HTTP-01 through the router, serves it, and renews it', async () => {
    await api.http.post('/v1/apps').set(owner.auth).send({ name: 'shop', replicas: 1 }).expect(201);
    const build = await uploadBuild(api, owner, 'shop', await identityApp('v1'));
    expect((await waitForBuild(api, owner, 'shop', build)).status).toBe('succeeded');
    await waitConverged(api, owner, 'shop', 180_000);

    dns.setA(DOMAIN, '127.0.0.1');
    await addVerified('shop', DOMAIN);
    const requested = await api.http
      .post(`/v1/apps/shop/domains/${DOMAIN}/certificate`)
      .set(owner.auth)
      .send({ type: 'acme' });
    expect(requested.status).toBe(202);
    // The ACME loop is woken by the request and may already be ordering when the answer is read.
    expect(requested.body.certificate).toMatchObject({
      source: 'acme',
      status: expect.stringMatching(/^(pending|issuing)$/),
      notAfter: null,
    });
    const refused = await api.http
      .post(`/v1/apps/shop/domains/${DOMAIN}/certificate`)
      .set(owner.auth)
      .send({ type: 'self-signed' });
    expect(refused.status).toBe(400);

    const issued = await waitFor(
      'the ACME certificate to be issued',
      async () => {
        const certificate = await certificateOf('shop', DOMAIN);
        if (certificate?.status === 'failed')
          throw new Error(`issuance failed: ${String(certificate.error)}`);
        return certificate?.status === 'issued' ? certificate : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\npebble:\n${pebble?.output() ?? ''}`);
    });
    expect(issued).toMatchObject({ source: 'acme', error: null });
    expect(String(issued.issuer)).toContain('Pebble Intermediate CA');
    expect(new Date(String(issued.notAfter)).getTime()).toBeGreaterThan(Date.now());

    // Served by SNI, and trusted from pebble's root: the router presents the chain pebble issued.
    const root = await pebble!.issuingRoot();
    const secure = await waitFor(
      'the domain over HTTPS with the issued certificate',
      async () => {
        const res = await httpsGet(httpsPort, DOMAIN, root).catch(() => undefined);
        return res?.status === 200 ? res : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300 },
    );
    expect(secure.text).toMatch(/ v1$/);
    const first = await servedCertificate(httpsPort, DOMAIN);
    expect(first.issuer.CN).toContain('Pebble Intermediate CA');
    expect(first.subjectaltname).toBe(`DNS:${DOMAIN}`);
    process.stdout.write(`[acme] issued by ${first.issuer.CN}, serial ${first.serialNumber}\n`);

    // Renewal on request: HTTPS clients on new connections keep getting answers while the new certificate
    // replaces the old one (the certificate in place stays served until then; the router reloads gracefully).
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const clients = Array.from({ length: 4 }, async () => {
      while (running) {
        try {
          const res = await httpsGet(httpsPort, DOMAIN, root);
          if (res.status === 200) ok += 1;
          else failures.push(`status ${res.status}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    });
    try {
      await api.http
        .post(`/v1/apps/shop/domains/${DOMAIN}/certificate`)
        .set(owner.auth)
        .send({ type: 'acme' })
        .expect(202);
      await waitFor(
        'the renewed certificate to be served',
        async () => {
          const certificate = await certificateOf('shop', DOMAIN);
          if (certificate?.status === 'failed')
            throw new Error(`renewal failed: ${String(certificate.error)}`);
          if (certificate?.status !== 'issued') return undefined;
          return (
            (await servedCertificate(httpsPort, DOMAIN)).serialNumber !== first.serialNumber || undefined
          );
        },
        { timeoutMs: 120_000, intervalMs: 500 },
      );
      // A little more traffic on the new certificate.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    } finally {
      running = false;
      await Promise.all(clients);
    }
    process.stdout.write(`[acme] during renewal: ${ok} ok, ${failures.length} failed\n`);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(0);

    // One account for the directory across both orders, its key and the certificate's sealed at rest.
    const db = await migratedDataSource();
    try {
      const accounts = await db.query(
        'SELECT key_sealed, account_url FROM acme_accounts WHERE directory_url = $1',
        [pebble!.directoryUrl],
      );
      expect(accounts).toHaveLength(1);
      expect(accounts[0].account_url).toMatch(/^https:\/\/127\.0\.0\.1:/);
      const [domainRow] = await db.query('SELECT key_sealed FROM app_domains WHERE hostname = $1', [DOMAIN]);
      for (const sealed of [accounts[0].key_sealed as string, domainRow.key_sealed as string]) {
        expect(sealed).not.toContain('PRIVATE KEY');
      }
    } finally {
      await db.destroy();
    }
    expect(api.logs()).not.toContain('PRIVATE KEY');
  }, 600_000);

  it('waits for verification, then shows failed with the CA error when pebble cannot reach the name', async () => {
    // Asked for at creation: pending, and not attempted while the domain is unverified.
    const added = await api.http
      .post('/v1/apps/shop/domains')
      .set(owner.auth)
      .send({ hostname: UNRESOLVED, certificate: { type: 'acme' } });
    expect(added.status).toBe(201);
    expect(added.body.certificate).toMatchObject({ source: 'acme', status: 'pending', error: null });
    await new Promise((resolve) => setTimeout(resolve, 2000)); // four ACME loop passes
    expect(await certificateOf('shop', UNRESOLVED)).toMatchObject({ status: 'pending', error: null });

    dns.setTxt(added.body.challenge.name as string, [added.body.challenge.value as string]);
    await api.http.post(`/v1/apps/shop/domains/${UNRESOLVED}/verify`).set(owner.auth).expect(200);
    const failed = await waitFor(
      'the issuance to fail',
      async () => {
        const certificate = await certificateOf('shop', UNRESOLVED);
        return certificate?.status === 'failed' ? certificate : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    process.stdout.write(`[acme] failed issuance: ${String(failed.error)}\n`);
    expect(failed).toMatchObject({ source: 'acme', notAfter: null });
    expect(String(failed.error)).toContain(UNRESOLVED);
    // A retry is planned (backoff from BERTH_ACME_RETRY_BASE_MS), and no certificate is served for the name.
    expect(new Date(String(failed.nextAttemptAt)).getTime()).toBeGreaterThan(Date.now());
    const listed = await api.http.get('/v1/apps/shop/domains').set(owner.auth).expect(200);
    const urls = await api.http.get('/v1/apps/shop').set(owner.auth).expect(200);
    expect(listed.body).toHaveLength(2);
    expect(urls.body.urls).toContain(`http://${UNRESOLVED}:${process.env.BERTH_INGRESS_HTTP_PORT}/`);
  }, 300_000);
});
