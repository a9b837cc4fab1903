import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { randomToken, tokenHash } from '../crypto/index.js';
import { problems } from '../errors/index.js';
import { ApiKey } from './api-key.entity.js';
import { API_KEY_PREFIX } from './auth.service.js';
import { actorOf, type Principal } from './permissions.js';
import { PrincipalCache } from './principal-cache.js';

/** Tenant keys belong to the caller's tenant; platform keys (tenantId null) are made by operators. */
@Injectable()
export class ApiKeysService {
  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly audit: AuditService,
    private readonly principals: PrincipalCache,
  ) {}

  async create(
    principal: Principal,
    input: { name: string; scopes: string[]; platform?: boolean },
  ): Promise<{ key: ApiKey; secret: string }> {
    const tenantId = input.platform ? null : principal.tenantId;
    if (!input.platform && !tenantId) throw problems.forbidden('Platform keys cannot create tenant keys');
    const secret = randomToken(API_KEY_PREFIX);
    const key = await this.keys.save(
      this.keys.create({
        tenantId,
        name: input.name,
        prefix: secret.slice(0, 12),
        keyHash: tokenHash(secret),
        scopes: [...new Set(input.scopes)].sort(),
        createdBy: principal.id,
      }),
    );
    await this.audit.record({
      tenantId,
      actor: actorOf(principal),
      action: 'apikey.create',
      target: `apikey:${key.id}`,
      data: { name: key.name, scopes: key.scopes },
    });
    return { key, secret };
  }

  list(principal: Principal, platform = false): Promise<ApiKey[]> {
    const tenantId = platform ? IsNull() : principal.tenantId!;
    return this.keys.find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  async revoke(principal: Principal, id: string, platform = false): Promise<void> {
    const tenantId = platform ? IsNull() : principal.tenantId!;
    const key = await this.keys.findOne({ where: { id, tenantId } });
    if (!key) throw problems.notFound('API key', id);
    if (!key.revokedAt) await this.keys.update(key.id, { revokedAt: new Date() });
    this.principals.forget();
    await this.audit.record({
      tenantId: key.tenantId,
      actor: actorOf(principal),
      action: 'apikey.revoke',
      target: `apikey:${key.id}`,
    });
  }
}
