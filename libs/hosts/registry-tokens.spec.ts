import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import {
  grantedAccess,
  libtrustKeyId,
  parseScope,
  RegistryScopeError,
  RegistryTokenSigner,
} from './registry-tokens.js';

const NAMES = { issuer: 'berth', service: 'berth-registry' };

describe('registry token scopes', () => {
  it('reads the scopes docker clients send', () => {
    expect(parseScope('repository:berth-app-1:pull')).toEqual({
      repository: 'berth-app-1',
      actions: ['pull'],
    });
    expect(parseScope('repository:team/berth-app-1:pull,push')).toEqual({
      repository: 'team/berth-app-1',
      actions: ['pull', 'push'],
    });
    expect(parseScope('repository:a:*')).toEqual({ repository: 'a', actions: ['pull', 'push', 'delete'] });
  });

  it('never grants other resource types (the catalog lists every tenant image name)', () => {
    expect(parseScope('registry:catalog:*')).toBeUndefined();
  });

  it.each([
    'repository',
    'repository:pull',
    'repository:UPPER/case:pull',
    'repository:../etc:pull',
    'repository:a//b:pull',
    'repository:a:pull,sudo',
    `repository:${'a'.repeat(256)}:pull`,
  ])('refuses the malformed scope %s', (scope) => {
    expect(() => parseScope(scope)).toThrow(RegistryScopeError);
  });

  it('gives the pull account pull only, whatever it asks for', () => {
    expect(
      grantedAccess('pull', [
        { repository: 'a', actions: ['pull', 'push', 'delete'] },
        { repository: 'b', actions: ['push'] },
      ]),
    ).toEqual([{ repository: 'a', actions: ['pull'] }]);
  });

  it('gives the push account pull and push, and no account delete', () => {
    expect(grantedAccess('push', [{ repository: 'a', actions: ['delete', 'push', 'pull'] }])).toEqual([
      { repository: 'a', actions: ['pull', 'push'] },
    ]);
    expect(grantedAccess('push', [{ repository: 'a', actions: ['delete'] }])).toEqual([]);
  });

  it('merges a repository asked for twice', () => {
    expect(
      grantedAccess('push', [
        { repository: 'a', actions: ['push'] },
        { repository: 'a', actions: ['pull'] },
      ]),
    ).toEqual([{ repository: 'a', actions: ['pull', 'push'] }]);
  });
});

describe('RegistryTokenSigner', () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const signer = new RegistryTokenSigner(privateKey, NAMES);

  it('signs the claims distribution checks, with the libtrust key id of its key', () => {
    const now = new Date('2026-12-05T11:00:00Z');
    const token = signer.sign({
      subject: 'berth-pull',
      access: [{ repository: 'berth-app-1', actions: ['pull'] }],
      ttlSeconds: 300,
      now,
    });
    const decoded = jwt.verify(token, publicKey, {
      algorithms: ['ES256'],
      issuer: 'berth',
      audience: 'berth-registry',
      clockTimestamp: now.getTime() / 1000 + 1,
      complete: true,
    });
    expect(decoded.header).toMatchObject({ alg: 'ES256', kid: libtrustKeyId(publicKey) });
    expect(decoded.payload).toMatchObject({
      sub: 'berth-pull',
      iat: now.getTime() / 1000,
      nbf: now.getTime() / 1000,
      exp: now.getTime() / 1000 + 300,
      access: [{ type: 'repository', name: 'berth-app-1', actions: ['pull'] }],
    });
    expect((decoded.payload as { jti: string }).jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('names keys as libtrust does: 12 groups of 4 base32 characters, one id per key', () => {
    expect(libtrustKeyId(publicKey)).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    const other = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey;
    expect(libtrustKeyId(other)).not.toBe(libtrustKeyId(publicKey));
  });

  it('signs RS256 with an RSA key and refuses keys the registry cannot check', () => {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    const token = new RegistryTokenSigner(rsa.privateKey, NAMES).sign({
      subject: 's',
      access: [],
      ttlSeconds: 60,
    });
    expect(jwt.decode(token, { complete: true })?.header.alg).toBe('RS256');
    const ed = crypto.generateKeyPairSync('ed25519');
    expect(() => new RegistryTokenSigner(ed.privateKey, NAMES)).toThrow(/EC P-256 key or an RSA key/);
    const p384 = crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(() => new RegistryTokenSigner(p384.privateKey, NAMES)).toThrow(/EC P-256/);
    expect(() => new RegistryTokenSigner(publicKey, NAMES)).toThrow(/private key/);
  });
});
