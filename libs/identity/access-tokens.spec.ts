import { describe, expect, it } from '@jest/globals';
import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { signAccessToken, VerifiedAccessTokens, verifyAccessToken } from './access-tokens.js';

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

describe('VerifiedAccessTokens', () => {
  it('answers a token seen before until its expiry, then refuses it', () => {
    let now = Date.now();
    const tokens = new VerifiedAccessTokens(settings, () => now);
    const token = signAccessToken(claims, settings);
    expect(tokens.verify(token)).toEqual(claims);
    expect(tokens.verify(token)).toEqual(claims);
    expect(tokens.size).toBe(1);
    now += 901_000;
    expect(tokens.verify(token)).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('keeps no refused token: a forged signature is refused every time', () => {
    const tokens = new VerifiedAccessTokens(settings);
    const token = signAccessToken(claims, settings);
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('forged').toString('base64url')}`;
    expect(tokens.verify(forged)).toBeUndefined();
    expect(tokens.verify(forged)).toBeUndefined();
    expect(tokens.size).toBe(0);
    // The genuine token is still accepted: a forged twin does not poison it.
    expect(tokens.verify(token)).toEqual(claims);
  });

  it('holds at most its bound, forgetting the oldest first', () => {
    const tokens = new VerifiedAccessTokens(settings, Date.now, 2);
    const [a, b, c] = ['u1', 'u2', 'u3'].map((sub) => signAccessToken({ ...claims, sub }, settings));
    for (const token of [a!, b!, c!]) tokens.verify(token);
    expect(tokens.size).toBe(2);
    expect(tokens.verify(a!)).toEqual({ ...claims, sub: 'u1' });
  });
});
