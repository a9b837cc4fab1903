import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Role } from './user.entity.js';

export interface AccessClaims {
  sub: string;
  tid: string;
  role: Role;
  op: boolean;
}

export interface AccessTokenSettings {
  /**
   * A KeyObject, made once: given a Buffer, jsonwebtoken first tries it as a PEM public key on every
   * call, and that failed parse cost ~0.7 ms of CPU per authenticated request here.
   */
  key: crypto.KeyObject;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const ALGORITHM = 'HS256' as const;

export function signAccessToken(claims: AccessClaims, settings: AccessTokenSettings): string {
  return jwt.sign({ tid: claims.tid, role: claims.role, op: claims.op }, settings.key, {
    algorithm: ALGORITHM,
    subject: claims.sub,
    issuer: settings.issuer,
    audience: settings.audience,
    expiresIn: settings.ttlSeconds,
    jwtid: crypto.randomUUID(),
  });
}

/**
 * Verifies signature, algorithm (pinned: a token claiming `none` or RS256 is refused), issuer, audience and
 * expiry. Returns undefined for any invalid token; the caller answers 401 without saying why.
 */
export function verifyAccessToken(token: string, settings: AccessTokenSettings): AccessClaims | undefined {
  return verifyWithExpiry(token, settings, Date.now())?.claims;
}

function verifyWithExpiry(
  token: string,
  settings: AccessTokenSettings,
  nowMs: number,
): { claims: AccessClaims; expiresAtMs: number | undefined } | undefined {
  try {
    const payload = jwt.verify(token, settings.key, {
      algorithms: [ALGORITHM],
      issuer: settings.issuer,
      audience: settings.audience,
      clockTimestamp: Math.floor(nowMs / 1000),
    });
    if (typeof payload === 'string' || typeof payload.sub !== 'string' || typeof payload.tid !== 'string') {
      return undefined;
    }
    return {
      claims: { sub: payload.sub, tid: payload.tid, role: payload.role as Role, op: payload.op === true },
      expiresAtMs: typeof payload.exp === 'number' ? payload.exp * 1000 : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Past this many tokens the oldest verified ones are forgotten (and verified again when they come back). */
const MAX_VERIFIED_TOKENS = 10_000;

/**
 * Access tokens already verified, by their exact text, until they expire. The signature, issuer and
 * audience of a given string never change, so a token seen before needs only its expiry checked again:
 * the HMAC and the JSON parses of a full verify were most of a cached read's own CPU. Refused tokens are
 * not kept, so a flood of forged ones cannot fill it; access tokens are not revocable one by one, what
 * revokes a caller (a removed user, a lowered role, a suspended tenant) is PrincipalCache's business.
 */
export class VerifiedAccessTokens {
  private readonly entries = new Map<string, { claims: AccessClaims; expiresAtMs: number }>();

  constructor(
    private readonly settings: AccessTokenSettings,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = MAX_VERIFIED_TOKENS,
  ) {}

  verify(token: string): AccessClaims | undefined {
    const now = this.now();
    const known = this.entries.get(token);
    if (known && known.expiresAtMs > now) return known.claims;
    if (known) this.entries.delete(token);
    const verified = verifyWithExpiry(token, this.settings, now);
    if (!verified) return undefined;
    // Ours always expire; one without an expiry (signed elsewhere with the key) is verified every time.
    if (verified.expiresAtMs === undefined) return verified.claims;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(token, { claims: verified.claims, expiresAtMs: verified.expiresAtMs });
    return verified.claims;
  }

  get size(): number {
    return this.entries.size;
  }
}
