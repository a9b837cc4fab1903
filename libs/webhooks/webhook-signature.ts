import crypto from 'node:crypto';

/**
 * `Berth-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`: one HMAC-SHA256(secret, `${t}.${body}`) per
 * valid secret (two while a rotation's overlap lasts), so a receiver holding either secret verifies.
 */
export function signatureHeader(input: { secrets: string[]; body: string; unixSeconds: number }): string {
  const signed = `${input.unixSeconds}.${input.body}`;
  const parts = input.secrets.map(
    (secret) => `v1=${crypto.createHmac('sha256', secret).update(signed).digest('hex')}`,
  );
  return [`t=${input.unixSeconds}`, ...parts].join(',');
}

/** What a receiver does (docs/webhooks.md shows the same): true when one v1 matches the secret. */
export function verifySignature(input: {
  header: string;
  secret: string;
  body: string;
  /** Refuse signatures older than this many seconds (replays). */
  toleranceSeconds?: number;
  nowSeconds?: number;
}): boolean {
  const fields = input.header.split(',').map((field) => field.split('=', 2) as [string, string | undefined]);
  const t = fields.find(([key]) => key === 't')?.[1];
  if (!t || !/^[0-9]+$/.test(t)) return false;
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(t)) > (input.toleranceSeconds ?? 300)) return false;
  const expected = crypto.createHmac('sha256', input.secret).update(`${t}.${input.body}`).digest();
  return fields.some(([key, value]) => {
    if (key !== 'v1' || !value || !/^[0-9a-f]{64}$/.test(value)) return false;
    return crypto.timingSafeEqual(Buffer.from(value, 'hex'), expected);
  });
}
