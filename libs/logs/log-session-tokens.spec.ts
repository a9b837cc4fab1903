import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import jwt from 'jsonwebtoken';
import { LogSessionTokens } from './log-session-tokens.js';

const key = crypto.randomBytes(32);
const tokens = new LogSessionTokens({ key, issuer: 'berth', ttlSeconds: 300 });
const claims = { tenantId: 't-1', appId: 'a-1', actor: 'user:u-1' };

describe('LogSessionTokens', () => {
  it('issues a token that verifies to its claims and expires after the TTL', () => {
    const before = Date.now();
    const { token, expiresAt } = tokens.issue(claims);
    expect(tokens.verify(token)).toEqual(claims);
    expect(expiresAt.getTime() - before).toBeGreaterThan(298_000);
    expect(expiresAt.getTime() - before).toBeLessThanOrEqual(300_000);
  });

  it('refuses an expired token, another key, a tampered payload, and alg none', () => {
    expect(tokens.verify(tokens.issue(claims, -1).token)).toBeUndefined();
    const other = new LogSessionTokens({ key: crypto.randomBytes(32), issuer: 'berth', ttlSeconds: 300 });
    expect(tokens.verify(other.issue(claims).token)).toBeUndefined();
    const [header, , signature] = tokens.issue(claims).token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, tid: 't-2', app: 'a-2', act: 'x' })).toString(
      'base64url',
    );
    expect(tokens.verify(`${header}.${forged}.${signature}`)).toBeUndefined();
    const none = jwt.sign({ tid: 't', app: 'a', act: 'x' }, '', {
      algorithm: 'none',
      audience: 'berth-log-stream',
    });
    expect(tokens.verify(none)).toBeUndefined();
  });

  it('refuses a token of another audience signed with the same key (e.g. an access token)', () => {
    const access = jwt.sign({ tid: 't-1', app: 'a-1', act: 'x' }, key, {
      algorithm: 'HS256',
      issuer: 'berth',
      audience: 'berth-api',
      expiresIn: 60,
    });
    expect(tokens.verify(access)).toBeUndefined();
  });
});
