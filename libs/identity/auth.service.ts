import crypto from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { BERTH_CONFIG, type BerthConfig, BERTH_KEYS, type BerthKeys } from '../config/index.js';
import { randomToken, tokenHash } from '../crypto/index.js';
import { isUniqueViolation } from '../db/index.js';
import { ProblemError, problems } from '../errors/index.js';
import { DEFAULT_PLAN_READER, type DefaultPlanReader } from './default-plan.js';
import { signAccessToken, type AccessTokenSettings, VerifiedAccessTokens } from './access-tokens.js';
import { ApiKey } from './api-key.entity.js';
import { AccountLoginBackoff } from './account-login-backoff.js';
import { AddressLoginBackoff } from './login-backoff.js';
import { PasswordHasher } from './password-hasher.js';
import { PrincipalCache } from './principal-cache.js';
import { ROLE_PERMISSIONS, type Permission, type Principal } from './permissions.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';

export interface TokenPair {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  refreshToken: string;
  refreshTokenExpiresAt: string;
}

export const API_KEY_PREFIX = 'brk';

/** The one answer to every refused login; Retry-After only when the caller must wait before being heard. */
function loginRefused(retryAfterSeconds: number): ProblemError {
  return new ProblemError(
    401,
    'unauthorized',
    'Unauthorized',
    'Email or password is incorrect, or this address must wait before its next attempt (see Retry-After)',
    {},
    retryAfterSeconds > 0 ? { 'Retry-After': String(retryAfterSeconds) } : {},
  );
}

/** A user and its tenant as loadUser reads them. */
interface PrincipalUserRow {
  id: string;
  role: User['role'];
  isOperator: boolean;
  email: string;
  createdAt: Date;
  tenantName: string;
  planId: string;
  status: Tenant['status'];
  kind: Tenant['kind'];
  tenantCreatedAt: Date;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

@Injectable()
export class AuthService {
  private readonly addressBackoff: AddressLoginBackoff;
  private readonly accountBackoff: AccountLoginBackoff;
  private readonly tokenSettings: AccessTokenSettings;
  private readonly verifiedTokens: VerifiedAccessTokens;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(BERTH_KEYS) keys: BerthKeys,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(RefreshToken) private readonly refreshTokens: Repository<RefreshToken>,
    @InjectRepository(ApiKey) private readonly apiKeys: Repository<ApiKey>,
    private readonly passwords: PasswordHasher,
    private readonly audit: AuditService,
    @Inject(DEFAULT_PLAN_READER) private readonly defaultPlan: DefaultPlanReader,
    private readonly principals: PrincipalCache,
  ) {
    this.addressBackoff = new AddressLoginBackoff(dataSource);
    this.accountBackoff = new AccountLoginBackoff(dataSource);
    this.tokenSettings = {
      key: crypto.createSecretKey(keys.jwtSigningKey),
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      ttlSeconds: config.accessTokenTtlSeconds,
    };
    this.verifiedTokens = new VerifiedAccessTokens(this.tokenSettings);
  }

  /** Creates a tenant on the default plan and its owner. */
  async signup(input: {
    email: string;
    password: string;
    tenantName?: string;
  }): Promise<{ user: User; tenant: Tenant }> {
    const email = normalizeEmail(input.email);
    const passwordHash = await this.passwords.hash(input.password);
    try {
      return await this.dataSource.transaction(async (manager) => {
        const planId = await this.defaultPlan.defaultPlanId(manager);
        if (!planId) throw new Error('no default plan is configured');
        const tenant = await manager.save(
          manager.create(Tenant, {
            name: input.tenantName ?? email.split('@')[0],
            planId,
            kind: 'customer',
          }),
        );
        const user = await manager.save(
          manager.create(User, {
            tenantId: tenant.id,
            email,
            passwordHash,
            role: 'owner',
            isOperator: false,
          }),
        );
        await this.audit.record(
          {
            tenantId: tenant.id,
            actor: `user:${user.id}`,
            action: 'tenant.signup',
            target: `tenant:${tenant.id}`,
          },
          manager,
        );
        return { user, tenant };
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw problems.conflict('email_taken', 'An account with this email already exists');
      throw err;
    }
  }

  /**
   * Unknown email, wrong password and a pair (account, address) still waiting all answer the same 401 body
   * after a bcrypt comparison (the decoy hash when there is no account), so no answer tells whether an
   * account exists. A wait is announced with Retry-After; it depends only on the caller's own failures.
   */
  async login(input: { email: string; password: string; address: string }): Promise<TokenPair> {
    const email = normalizeEmail(input.email);
    const wait = Math.max(
      await this.addressBackoff.retryAfterSeconds(input.address),
      await this.accountBackoff.retryAfterSeconds(email, input.address),
    );
    const user = await this.users.findOne({ where: { email } });
    // Compared even while waiting, so a refused attempt costs what a heard one does.
    const valid = await this.passwords.verify(input.password, user?.passwordHash);
    if (wait > 0) throw loginRefused(wait);
    if (!user || !valid) {
      await this.addressBackoff.recordFailure(input.address);
      await this.accountBackoff.recordFailure(email, input.address);
      const next = await this.accountBackoff.retryAfterSeconds(email, input.address);
      throw loginRefused(next);
    }
    await this.addressBackoff.recordSuccess(input.address);
    await this.accountBackoff.recordSuccess(email, input.address);
    await this.assertTenantActive(user.tenantId);
    return this.issueTokens(user, crypto.randomUUID());
  }

  /** Rotates a refresh token. Presenting one that was already rotated revokes its whole family. */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const hash = tokenHash(refreshToken);
    const rotated: RefreshToken[] = await this.dataSource
      .query(
        `UPDATE refresh_tokens SET rotated_at = now()
         WHERE token_hash = $1 AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now()
       RETURNING id, user_id AS "userId", family_id AS "familyId"`,
        [hash],
      )
      .then((result: [RefreshToken[], number]) => result[0]);
    if (rotated.length === 0) {
      const known = await this.refreshTokens.findOne({ where: { tokenHash: hash } });
      if (known && (known.rotatedAt || known.revokedAt)) {
        await this.refreshTokens.update(
          { familyId: known.familyId, revokedAt: IsNull() },
          { revokedAt: new Date() },
        );
        await this.audit.record({
          tenantId: null,
          actor: `user:${known.userId}`,
          action: 'auth.refresh_reuse_detected',
          target: `refresh-family:${known.familyId}`,
        });
        throw new ProblemError(
          401,
          'refresh_token_reused',
          'Unauthorized',
          'This refresh token was already used; every session of this login has been revoked',
        );
      }
      throw problems.unauthorized('The refresh token is invalid or expired');
    }
    const user = await this.users.findOne({ where: { id: rotated[0].userId } });
    if (!user) throw problems.unauthorized('The refresh token is invalid or expired');
    await this.assertTenantActive(user.tenantId);
    return this.issueTokens(user, rotated[0].familyId);
  }

  async logout(refreshToken: string): Promise<void> {
    const known = await this.refreshTokens.findOne({ where: { tokenHash: tokenHash(refreshToken) } });
    if (!known) return;
    await this.refreshTokens.update(
      { familyId: known.familyId, revokedAt: IsNull() },
      { revokedAt: new Date() },
    );
  }

  /**
   * Resolves `Authorization: Bearer …` (an access JWT or an API key) to a principal, or undefined. The
   * user or key, its role or scopes and its tenant's standing are read from the database and kept for at
   * most a second (PrincipalCache), so a removed user, a changed role, a revoked key or a suspended tenant
   * acts on every API process within that bound, and usually at once.
   */
  async authenticate(bearer: string): Promise<Principal | undefined> {
    if (bearer.startsWith(`${API_KEY_PREFIX}_`)) {
      const keyHash = tokenHash(bearer);
      return this.principals.lookup(`key:${keyHash}`, () => this.authenticateApiKey(keyHash));
    }
    const claims = this.verifiedTokens.verify(bearer);
    if (!claims) return undefined;
    return this.principals.lookup(`user:${claims.sub}:${claims.tid}`, () =>
      this.loadUser(claims.sub, claims.tid),
    );
  }

  private async loadUser(userId: string, tenantId: string): Promise<Principal | undefined> {
    // One indexed join, not two entity loads, since every cache miss pays it; it also reads what GET
    // /v1/me shows, so that route needs no statement of its own.
    const [row] = (await this.dataSource.query(
      `SELECT u.id, u.role, u.is_operator AS "isOperator", u.email, u.created_at AS "createdAt",
              t.name AS "tenantName", t.plan_id AS "planId", t.status, t.kind,
              t.created_at AS "tenantCreatedAt"
         FROM users u JOIN tenants t ON t.id = u.tenant_id
        WHERE u.id = $1 AND u.tenant_id = $2 AND t.status = 'active'`,
      [userId, tenantId],
    )) as PrincipalUserRow[];
    if (!row) return undefined;
    return {
      kind: 'user',
      id: row.id,
      tenantId,
      role: row.role,
      operator: row.isOperator,
      platform: row.isOperator,
      permissions: ROLE_PERMISSIONS[row.role],
      account: {
        tenant: {
          id: tenantId,
          name: row.tenantName,
          planId: row.planId,
          status: row.status,
          kind: row.kind,
          createdAt: row.tenantCreatedAt,
        },
        user: {
          id: row.id,
          tenantId,
          email: row.email,
          role: row.role,
          isOperator: row.isOperator,
          createdAt: row.createdAt,
        },
      },
    };
  }

  /**
   * Whether the actor of an open stream (`user:<id>` or `apikey:<id>`) still exists, active, in `tenantId`,
   * and still holds `permission`: long-lived streams re-check it, so a removed user, a revoked key or a role
   * change ends them (absent: 'revoked', present without the permission: 'forbidden').
   */
  async actorStanding(
    actor: string,
    tenantId: string,
    permission: Permission,
  ): Promise<'ok' | 'revoked' | 'forbidden'> {
    const [kind, id] = actor.split(':', 2);
    if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return 'revoked';
    if (kind === 'user') {
      const [user] = (await this.dataSource.query(
        `SELECT u.role FROM users u JOIN tenants t ON t.id = u.tenant_id
          WHERE u.id = $1 AND u.tenant_id = $2 AND t.status = 'active'`,
        [id, tenantId],
      )) as Pick<User, 'role'>[];
      if (!user) return 'revoked';
      return ROLE_PERMISSIONS[user.role].has(permission) ? 'ok' : 'forbidden';
    }
    if (kind === 'apikey') {
      const [key] = (await this.dataSource.query(
        `SELECT k.scopes FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
          WHERE k.id = $1 AND k.tenant_id = $2 AND k.revoked_at IS NULL AND t.status = 'active'`,
        [id, tenantId],
      )) as Pick<ApiKey, 'scopes'>[];
      if (!key) return 'revoked';
      return key.scopes.includes(permission) ? 'ok' : 'forbidden';
    }
    return 'revoked';
  }

  private async authenticateApiKey(keyHash: string): Promise<Principal | undefined> {
    const key = await this.apiKeys.findOne({ where: { keyHash, revokedAt: IsNull() } });
    if (!key) return undefined;
    let tenant: Tenant | null = null;
    if (key.tenantId) {
      tenant = await this.dataSource.getRepository(Tenant).findOne({ where: { id: key.tenantId } });
      if (!tenant || tenant.status !== 'active') return undefined;
    }
    // Recording every use would write on every request; a minute of precision is what operators need.
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > 60_000) {
      await this.apiKeys.update(key.id, { lastUsedAt: new Date() });
    }
    return {
      kind: 'apikey',
      id: key.id,
      tenantId: key.tenantId,
      operator: false,
      platform: key.tenantId === null,
      permissions: new Set(key.scopes as Permission[]),
      ...(tenant
        ? {
            account: {
              tenant: {
                id: tenant.id,
                name: tenant.name,
                planId: tenant.planId,
                status: tenant.status,
                kind: tenant.kind,
                createdAt: tenant.createdAt,
              },
              user: null,
            },
          }
        : {}),
    };
  }

  private async issueTokens(user: User, familyId: string): Promise<TokenPair> {
    const refreshToken = randomToken('rt');
    const expiresAt = new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000);
    await this.refreshTokens.insert({
      userId: user.id,
      familyId,
      tokenHash: tokenHash(refreshToken),
      expiresAt,
    });
    return {
      accessToken: signAccessToken(
        { sub: user.id, tid: user.tenantId, role: user.role, op: user.isOperator },
        this.tokenSettings,
      ),
      tokenType: 'Bearer',
      expiresIn: this.tokenSettings.ttlSeconds,
      refreshToken,
      refreshTokenExpiresAt: expiresAt.toISOString(),
    };
  }

  private async assertTenantActive(tenantId: string): Promise<void> {
    const tenant = await this.dataSource.getRepository(Tenant).findOne({ where: { id: tenantId } });
    if (!tenant || tenant.status !== 'active') {
      throw problems.forbidden('This account is suspended');
    }
  }
}
