import { describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { signAccessToken, verifyAccessToken } from './access-tokens.js';

const rawKey = crypto.randomBytes(32);
const settings = {
  key: crypto.createSecretKey(rawKey),
  issuer: 'berth',
  audience: 'berth-api',
  ttlSeconds: 900,
};
const claims = { sub: 'u1', tid: 't1', role: 'owner' as const, op: false };

describe('access tokens', () => {
  it('round-trips the claims and expires within 15 minutes', () => {
    const token = signAccessToken(claims, settings);
    expect(verifyAccessToken(token, settings)).toEqual(claims);
    const decoded = jwt.decode(token) as { exp: number; iat: number };
    expect(decoded.exp - decoded.iat).toBeLessThanOrEqual(900);
  });

  it('accepts a token signed with the raw key bytes (processes that signed with a Buffer)', () => {
    const token = jwt.sign({ tid: 't1', role: 'owner', op: false }, rawKey, {
      algorithm: 'HS256',
      subject: 'u1',
      issuer: 'berth',
      audience: 'berth-api',
    });
    expect(verifyAccessToken(token, settings)).toEqual({ ...claims, sub: 'u1' });
  });

  it("refuses an unsigned token (alg 'none')", () => {
    const unsigned = jwt.sign({ tid: 't1', role: 'owner', op: true }, '', {
      algorithm: 'none',
      subject: 'u1',
      issuer: 'berth',
      audience: 'berth-api',
    });
    expect(verifyAccessToken(unsigned, settings)).toBeUndefined();
  });

  it('refuses another issuer, another audience, another key and an expired token', () => {
    expect(
      verifyAccessToken(signAccessToken(claims, { ...settings, issuer: 'evil' }), settings),
    ).toBeUndefined();
    expect(
      verifyAccessToken(signAccessToken(claims, { ...settings, audience: 'other' }), settings),
    ).toBeUndefined();
    expect(
      verifyAccessToken(
        signAccessToken(claims, { ...settings, key: crypto.createSecretKey(crypto.randomBytes(32)) }),
        settings,
      ),
    ).toBeUndefined();
    const expired = jwt.sign(
      { tid: 't1', role: 'owner', op: false, exp: Math.floor(Date.now() / 1000) - 10 },
      settings.key,
      {
        algorithm: 'HS256',
        subject: 'u1',
        issuer: 'berth',
        audience: 'berth-api',
      },
    );
    expect(verifyAccessToken(expired, settings)).toBeUndefined();
  });
});
