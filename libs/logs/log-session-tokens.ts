import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';

/** What a log-session token grants: reading the logs of one app of one tenant, until it expires. */
export interface LogSessionClaims {
  tenantId: string;
  appId: string;
  /** Who opened the session ("user:<id>" or "apikey:<id>"), for the audit trail of a stream. */
  actor: string;
}

const ALGORITHM = 'HS256' as const;
/** Distinct from access tokens' audience: a log-session token is refused everywhere but the log streams. */
const AUDIENCE = 'berth-log-stream';

/**
 * Short-lived, app-scoped bearer tokens for browsers, which cannot set an Authorization header on a
 * WebSocket (compare Heroku's log sessions). A JWT (HS256, pinned) signed with its own key (derived from the
 * master key for this purpose only), checked for issuer, audience and expiry. Stateless: valid for any
 * number of connections until it expires, so a dashboard can reconnect with it; the TTL bounds what a
 * leaked URL is worth.
 */
export class LogSessionTokens {
  constructor(private readonly settings: { key: Buffer; issuer: string; ttlSeconds: number }) {}

  issue(claims: LogSessionClaims, ttlSeconds = this.settings.ttlSeconds): { token: string; expiresAt: Date } {
    const now = Math.floor(Date.now() / 1000);
    const token = jwt.sign(
      { tid: claims.tenantId, app: claims.appId, act: claims.actor, iat: now, exp: now + ttlSeconds },
      this.settings.key,
      {
        algorithm: ALGORITHM,
        issuer: this.settings.issuer,
        audience: AUDIENCE,
        jwtid: crypto.randomUUID(),
      },
    );
    return { token, expiresAt: new Date((now + ttlSeconds) * 1000) };
  }

  /** The claims of a valid, unexpired token; undefined for anything else (the caller refuses without saying why). */
  verify(token: string): LogSessionClaims | undefined {
    if (token.length > 4096) return undefined;
    try {
      const payload = jwt.verify(token, this.settings.key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: AUDIENCE,
      });
      if (typeof payload === 'string') return undefined;
      const { tid, app, act } = payload as Record<string, unknown>;
      if (typeof tid !== 'string' || typeof app !== 'string' || typeof act !== 'string') return undefined;
      return { tenantId: tid, appId: app, actor: act };
    } catch {
      return undefined;
    }
  }
}
