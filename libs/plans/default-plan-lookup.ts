import { Injectable } from '@nestjs/common';
import { IsNull, type EntityManager } from 'typeorm';
import type { DefaultPlanReader } from '../identity/index.js';
import { Plan } from './plan.entity.js';

/** The plans domain's answer to identity's DEFAULT_PLAN_READER: the default plan that is not retired. */
@Injectable()
export class DefaultPlanLookup implements DefaultPlanReader {
  async defaultPlanId(manager: EntityManager): Promise<string | undefined> {
    const plan = await manager.findOne(Plan, { where: { isDefault: true, retiredAt: IsNull() } });
    return plan?.id;
  }
}
