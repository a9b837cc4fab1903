import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { CertificateRejectedError, checkCertificate } from './certificate-check.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cert-'));
/** A self-signed certificate and key made by openssl for `names`, valid `days` from now. */
function selfSigned(names: string[], days = 30): { cert: string; key: string } {
  const base = path.join(dir, `${names[0]!.replace(/\W/g, '_')}-${days}`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      `${base}.key`,
      '-out',
      `${base}.crt`,
      '-days',
      String(days),
      '-subj',
      `/CN=${names[0]}`,
      '-addext',
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    ],
    { stdio: 'ignore' },
  );
  return { cert: fs.readFileSync(`${base}.crt`, 'utf8'), key: fs.readFileSync(`${base}.key`, 'utf8') };
}

const www = selfSigned(['www.example.test']);
const wildcard = selfSigned(['*.example.test']);
const now = new Date();
const check = (certificatePem: string, privateKeyPem: string, hostname = 'www.example.test', at = now) =>
  checkCertificate({ certificatePem, privateKeyPem, hostname, now: at });

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('checkCertificate', () => {
  it('takes a matching certificate and key for the hostname, and normalises the key to PKCS#8', () => {
    const checked = check(www.cert, www.key);
    expect(checked.keyPem).toContain('-----BEGIN PRIVATE KEY-----');
    expect(checked.chainPem).toContain('-----BEGIN CERTIFICATE-----');
    expect(checked.notAfter.getTime()).toBeGreaterThan(now.getTime());
  });

  it('takes a wildcard certificate for a name one level under it, not two', () => {
    expect(() => check(wildcard.cert, wildcard.key, 'shop.example.test')).not.toThrow();
    expect(() => check(wildcard.cert, wildcard.key, 'a.b.example.test')).toThrow(/does not cover/);
  });

  it("refuses another certificate's key", () => {
    expect(() => check(www.cert, wildcard.key)).toThrow(/does not match/);
  });

  it('refuses a certificate that does not cover the hostname', () => {
    expect(() => check(www.cert, www.key, 'api.example.test')).toThrow(/does not cover/);
  });

  it('refuses an expired certificate and one not valid yet', () => {
    const later = new Date(now.getTime() + 40 * 24 * 3600 * 1000);
    expect(() => check(www.cert, www.key, 'www.example.test', later)).toThrow(/expired/);
    const earlier = new Date(now.getTime() - 24 * 3600 * 1000);
    expect(() => check(www.cert, www.key, 'www.example.test', earlier)).toThrow(/not valid yet/);
  });

  it('refuses a private key smuggled into the chain (it would be served to every client)', () => {
    expect(() => check(`${www.cert}\n${www.key}`, www.key)).toThrow(CertificateRejectedError);
  });

  it('refuses garbage and an empty chain', () => {
    expect(() => check('not a pem', www.key)).toThrow(/no PEM certificate/);
    expect(() => check(www.cert, 'not a key')).toThrow(/does not parse/);
  });
});
