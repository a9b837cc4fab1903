import crypto from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signatureHeader, verifySignature } from './webhook-signature.js';

describe('webhook signature', () => {
  const body = '{"id":"7","type":"build.succeeded"}';

  it('is HMAC-SHA256 of "<t>.<body>" in hex, one v1 per secret', () => {
    const header = signatureHeader({ secrets: ['s1', 's2'], body, unixSeconds: 1_800_000_000 });
    const hmac = (secret: string) =>
      crypto.createHmac('sha256', secret).update(`1800000000.${body}`).digest('hex');
    expect(header).toBe(`t=1800000000,v1=${hmac('s1')},v1=${hmac('s2')}`);
  });

  it('verifies with either secret during a rotation overlap', () => {
    const header = signatureHeader({ secrets: ['new', 'old'], body, unixSeconds: 1000 });
    expect(verifySignature({ header, secret: 'new', body, nowSeconds: 1000 })).toBe(true);
    expect(verifySignature({ header, secret: 'old', body, nowSeconds: 1000 })).toBe(true);
    expect(verifySignature({ header, secret: 'other', body, nowSeconds: 1000 })).toBe(false);
  });

  it('refuses a tampered body (attack: changing the event in transit)', () => {
    const header = signatureHeader({ secrets: ['s'], body, unixSeconds: 1000 });
    expect(verifySignature({ header, secret: 's', body: body.replace('7', '8'), nowSeconds: 1000 })).toBe(
      false,
    );
  });

  it('refuses a replay older than the tolerance, and a timestamp moved to look fresh', () => {
    const header = signatureHeader({ secrets: ['s'], body, unixSeconds: 1000 });
    expect(verifySignature({ header, secret: 's', body, nowSeconds: 1000 + 301 })).toBe(false);
    const moved = header.replace('t=1000', 't=2000');
    expect(verifySignature({ header: moved, secret: 's', body, nowSeconds: 2000 })).toBe(false);
  });
});
