import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { BERTH_KEYS, type BerthKeys } from '../../libs/config/index.js';
import { DockerEngine } from '../../libs/engine/index.js';
import { EnginePool, HostMonitor } from '../../libs/hosts/index.js';
import { OPERATOR, login, startTestApi, type Session, type TestApi } from '../support/api.js';
import { migratedDataSource } from '../support/database.js';
import { TEST_DOCKER_ENDPOINT } from '../support/docker.js';

const openssl = promisify(execFile);

interface Pki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate from a CA the engine does not trust. */
  rogueCert: string;
  rogueKey: string;
}

/** A throwaway CA, a server certificate for 127.0.0.1 and client certificates, made with openssl. */
async function makePki(dir: string): Promise<Pki> {
  const file = (name: string) => path.join(dir, name);
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = async (name: string) =>
    openssl(
      'openssl',
      ['req', '-x509', ...newKey, '-keyout', file(`${name}.key`), '-out', file(`${name}.pem`)].concat([
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
      ]),
    );
  const signed = async (name: string, caName: string, extensions: string) => {
    await fs.writeFile(file(`${name}.ext`), extensions);
    await openssl(
      'openssl',
      ['req', ...newKey, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`)].concat([
        '-subj',
        `/CN=${name}`,
      ]),
    );
    await openssl('openssl', [
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file(`${caName}.pem`),
      '-CAkey',
      file(`${caName}.key`),
      '-CAcreateserial',
      '-out',
      file(`${name}.pem`),
      '-days',
      '1',
      '-extfile',
      file(`${name}.ext`),
    ]);
  };
  await ca('berth-test-ca');
  await ca('rogue-ca');
  await signed('server', 'berth-test-ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await signed('client', 'berth-test-ca', 'extendedKeyUsage=clientAuth\n');
  await signed('rogue', 'rogue-ca', 'extendedKeyUsage=clientAuth\n');
  const read = (name: string) => fs.readFile(file(name), 'utf8');
  return {
    ca: await read('berth-test-ca.pem'),
    serverCert: await read('server.pem'),
    serverKey: await read('server.key'),
    clientCert: await read('client.pem'),
    clientKey: await read('client.key'),
    rogueCert: await read('rogue.pem'),
    rogueKey: await read('rogue.key'),
  };
}

/** The base64 body of a PEM block: what would show if the material were stored or logged in clear. */
const pemBody = (pem: string) =>
  pem
    .split('\n')
    .filter((line) => line && !line.startsWith('-----'))
    .join('');

interface EngineProxy {
  server: tls.Server;
  endpoint: string;
  /** Chunks relayed from clients that presented a trusted certificate. */
  relayedChunks: number;
  /** Handshakes the listener refused (no or untrusted client certificate, not TLS at all). */
  refusedHandshakes: number;
}

/**
 * The local Docker Engine behind a TLS listener on 127.0.0.1 that demands a client certificate from the
 * test CA (what `dockerd --tlsverify` does), relaying the decrypted stream to the engine's socket.
 */
async function startEngineProxy(pki: Pki, socketPath: string): Promise<EngineProxy> {
  const proxy = { relayedChunks: 0, refusedHandshakes: 0 } as EngineProxy;
  proxy.server = tls.createServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: [pki.ca], requestCert: true, rejectUnauthorized: true },
    (client) => {
      const engine = net.connect(socketPath);
      client.on('data', () => (proxy.relayedChunks += 1));
      client.pipe(engine).pipe(client);
      client.on('error', () => engine.destroy());
      engine.on('error', () => client.destroy());
    },
  );
  proxy.server.on('tlsClientError', () => (proxy.refusedHandshakes += 1));
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  proxy.endpoint = `tcp://127.0.0.1:${(proxy.server.address() as net.AddressInfo).port}`;
  return proxy;
}

describe('a tcp host with TLS client certificates (the local engine behind a --tlsverify-like listener)', () => {
  let dir: string;
  let pki: Pki;
  /** Registered as host tls-host. */
  let proxy: EngineProxy | undefined;
  /** Never registered: the refusals go here. */
  let spare: EngineProxy | undefined;
  let api: TestApi;
  let db: DataSource;
  let operator: Session;
  let hostId: string | undefined;

  beforeAll(async () => {
    if (!TEST_DOCKER_ENDPOINT.startsWith('unix://'))
      throw new Error('this test relays to a unix socket engine');
    const socketPath = new URL(TEST_DOCKER_ENDPOINT).pathname;
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'berth-tls-'));
    pki = await makePki(dir);
    proxy = await startEngineProxy(pki, socketPath);
    spare = await startEngineProxy(pki, socketPath);
    api = await startTestApi();
    db = await migratedDataSource();
    operator = await login(api, OPERATOR.email, OPERATOR.password);
  }, 120_000);

  afterAll(async () => {
    try {
      if (hostId) await db?.query('DELETE FROM hosts WHERE id = $1', [hostId]);
      await db?.destroy();
      await api?.close();
    } finally {
      for (const listener of [proxy, spare]) {
        if (listener) await new Promise((resolve) => listener.server.close(resolve));
      }
      if (dir) await fs.rm(dir, { recursive: true, force: true });
    }
  });

  const tlsBody = () => ({ ca: pki.ca, cert: pki.clientCert, key: pki.clientKey });
  const expectNoPem = (text: string) => {
    expect(text).not.toContain('BEGIN');
    expect(text).not.toContain(pemBody(pki.clientKey));
    expect(text).not.toContain(pemBody(pki.clientCert));
  };

  it('registers the host through mutual TLS, and answers with tls: true, never the material', async () => {
    const endpoint = proxy!.endpoint;
    const res = await api.http
      .post('/v1/admin/hosts')
      .set(operator.auth)
      .send({ name: 'tls-host', endpoint, publicAddress: '127.0.0.1', tls: tlsBody() })
      .expect(201);
    hostId = res.body.id;
    const local = await new DockerEngine({ endpoint: TEST_DOCKER_ENDPOINT }).info();
    expect(res.body).toMatchObject({ name: 'tls-host', endpoint, tls: true, status: 'ready' });
    expect(res.body.engineVersion).toBe(local.engineVersion);
    expect(proxy!.relayedChunks).toBeGreaterThan(0);
    expect(proxy!.refusedHandshakes).toBe(0);
    expectNoPem(JSON.stringify(res.body));
    expectNoPem(JSON.stringify((await api.http.get(`/v1/admin/hosts/${hostId}`).set(operator.auth)).body));
    expectNoPem(JSON.stringify((await api.http.get('/v1/admin/hosts').set(operator.auth)).body));
  });

  it('stores the material sealed to the host row: no PEM in the table, the audit log or the logs', async () => {
    const [row] = await db.query('SELECT * FROM hosts WHERE id = $1', [hostId]);
    expectNoPem(JSON.stringify(row));
    expect(row.tls_sealed).toMatch(/^v1\./);
    const { secretBox } = api.app.get<BerthKeys>(BERTH_KEYS);
    expect(JSON.parse(secretBox.open(row.tls_sealed, hostId!))).toEqual(tlsBody());
    // Bound to this host: copied into another row it does not open.
    expect(() => secretBox.open(row.tls_sealed, '00000000-0000-4000-8000-000000000000')).toThrow();
    const audit = await db.query('SELECT data FROM audit_events WHERE target = $1', [`host:${hostId}`]);
    expect(audit).toHaveLength(1);
    expect(audit[0].data.tls).toBe(true);
    expectNoPem(JSON.stringify(audit));
    expectNoPem(api.logs());
  });

  it('EnginePool and the monitor reach the host with the unsealed material', async () => {
    const pool = api.app.get(EnginePool);
    pool.invalidate(hostId!);
    const before = proxy!.relayedChunks;
    await (await pool.engineFor(hostId!)).ping();
    expect(proxy!.relayedChunks).toBeGreaterThan(before);
    const report = (await api.app.get(HostMonitor).probeAll()).find((probe) => probe.hostId === hostId);
    expect(report).toMatchObject({ ok: true, status: 'ready' });
  });

  it('refuses a client certificate the engine does not trust, and plain tcp to a TLS port (422 host_unreachable)', async () => {
    const register = (name: string, extra: object) =>
      api.http
        .post('/v1/admin/hosts')
        .set(operator.auth)
        .send({ name, endpoint: spare!.endpoint, publicAddress: '127.0.0.1', ...extra })
        .expect(422);
    const rogue = await register('rogue-host', {
      tls: { ca: pki.ca, cert: pki.rogueCert, key: pki.rogueKey },
    });
    expect(rogue.body).toMatchObject({ code: 'host_unreachable', endpoint: spare!.endpoint });
    expectNoPem(JSON.stringify(rogue.body));
    expect(spare!.refusedHandshakes).toBe(1);
    const plain = await register('plain-host', {});
    expect(plain.body.code).toBe('host_unreachable');
    expect(spare!.refusedHandshakes).toBe(2);
    expect(spare!.relayedChunks).toBe(0);
    expect(await db.query(`SELECT id FROM hosts WHERE name IN ('rogue-host', 'plain-host')`)).toEqual([]);
  });
});
