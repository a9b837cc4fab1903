import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports.js';

/** Debian's pebble (an RFC 8555 test-only CA) on loopback, with a configuration and HTTPS certificate of its own. */
export interface TestPebble {
  /** `https://127.0.0.1:<port>/dir`, for BERTH_ACME_DIRECTORY_URL. */
  directoryUrl: string;
  /** PEM file of the CA that signed pebble's own HTTPS certificate, for BERTH_ACME_CA_FILE. */
  caFile: string;
  /** The root pebble issues under (made anew at each start), from its management interface. */
  issuingRoot(): Promise<string>;
  /** What pebble wrote so far (stdout and stderr), for a failure's message. */
  output(): string;
  close(): Promise<void>;
}

export const PEBBLE_BINARY = '/usr/bin/pebble';

function getText(url: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 5000 }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Starts pebble on 127.0.0.1: it validates HTTP-01 at `<name>:<httpPort>` (the edge router's HTTP port),
 * resolving names with `dnsServer` (the test's own), without its random validation sleeps and without
 * rejecting good nonces. Its HTTPS listener gets a certificate from a throwaway CA made here by openssl.
 */
export async function startPebble(options: { dnsServer: string; httpPort: number }): Promise<TestPebble> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-pebble-'));
  const file = (name: string) => path.join(dir, name);
  // prettier-ignore
  {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-keyout', file('ca.key'), '-out', file('ca.pem'), '-subj', '/CN=berth test pebble CA',
    ], { stdio: 'ignore' });
    execFileSync('openssl', [
      'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', file('key.pem'), '-out', file('cert.csr'), '-subj', '/CN=127.0.0.1',
    ], { stdio: 'ignore' });
    fs.writeFileSync(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    execFileSync('openssl', [
      'x509', '-req', '-in', file('cert.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
      '-CAcreateserial', '-days', '2', '-extfile', file('ext.cnf'), '-out', file('cert.pem'),
    ], { stdio: 'ignore' });
  }
  const port = await freePort();
  const managementPort = await freePort();
  fs.writeFileSync(
    file('config.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${port}`,
        managementListenAddress: `127.0.0.1:${managementPort}`,
        certificate: file('cert.pem'),
        privateKey: file('key.pem'),
        httpPort: options.httpPort,
        tlsPort: await freePort(),
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  let output = '';
  const child: ChildProcess = spawn(
    PEBBLE_BINARY,
    ['-config', file('config.json'), '-dnsserver', options.dnsServer],
    {
      env: { PATH: process.env.PATH, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ca = fs.readFileSync(file('ca.pem'), 'utf8');
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const directoryUrl = `https://127.0.0.1:${port}/dir`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await getText(directoryUrl, ca).catch(() => undefined);
    if (res?.status === 200) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      await close();
      throw new Error(`pebble did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    directoryUrl,
    caFile: file('ca.pem'),
    issuingRoot: async () => (await getText(`https://127.0.0.1:${managementPort}/roots/0`, ca)).text,
    output: () => output,
    close,
  };
}
