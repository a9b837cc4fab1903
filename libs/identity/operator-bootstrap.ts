import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { normalizeEmail } from './auth.service.js';
import { DEFAULT_PLAN_READER, type DefaultPlanReader } from './default-plan.js';
import { PasswordHasher } from './password-hasher.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';

/**
 * Creates the platform tenant and the first operator from BERTH_OPERATOR_EMAIL/PASSWORD on first start.
 * Later starts leave an existing operator untouched (its password may have been changed since).
 */
@Injectable()
export class OperatorBootstrap {
  private readonly logger = new Logger('OperatorBootstrap');

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly passwords: PasswordHasher,
    @Inject(DEFAULT_PLAN_READER) private readonly defaultPlan: DefaultPlanReader,
  ) {}

  async ensureOperator(): Promise<void> {
    if (!this.config.operatorEmail || !this.config.operatorPassword) return;
    const email = normalizeEmail(this.config.operatorEmail);
    if (await this.dataSource.getRepository(User).exists({ where: { email } })) return;
    if (this.config.operatorPassword.length < 12)
      throw new Error('BERTH_OPERATOR_PASSWORD must have 12 characters or more');
    const passwordHash = await this.passwords.hash(this.config.operatorPassword);
    await this.dataSource.transaction(async (manager) => {
      let platform = await manager.findOne(Tenant, { where: { kind: 'platform' } });
      if (!platform) {
        const planId = await this.defaultPlan.defaultPlanId(manager);
        if (!planId) throw new Error('no default plan is configured');
        platform = await manager.save(manager.create(Tenant, { name: 'platform', kind: 'platform', planId }));
      }
      await manager.save(
        manager.create(User, { tenantId: platform.id, email, passwordHash, role: 'owner', isOperator: true }),
      );
    });
    this.logger.log(`operator ${email} created`);
  }
}
