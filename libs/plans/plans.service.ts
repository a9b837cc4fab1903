import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, Repository } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { ProblemError, problems } from '../errors/index.js';
import { Tenant, actorOf, type Principal } from '../identity/index.js';
import { Plan } from './plan.entity.js';
import {
  TENANT_RELEASE_RESIZER,
  TENANT_USAGE_READER,
  planViolations,
  type TenantReleaseResizer,
  type TenantUsageReader,
} from './plan-fit.js';

export type PlanLimits = Omit<
  Plan,
  | 'createdAt'
  | 'updatedAt'
  | 'retiredAt'
  | 'isDefault'
  | 'maxCustomDomains'
  | 'buildRetention'
  | 'eventRetentionDays'
  | 'runRetention'
  | 'logRetentionDays'
  | 'logMbPerDay'
  | 'buildMemoryMb'
  | 'buildCpuMillis'
  | 'scaleToZero'
> & {
  /** Optional for plans made before custom domains existed: 0 when absent. */
  maxCustomDomains?: number;
  /** Optional for plans made before build retention existed: 20 when absent. */
  buildRetention?: number;
  /** Optional for plans made before event and run retention existed: 7 days and 50 runs when absent. */
  eventRetentionDays?: number;
  runRetention?: number;
  /** Optional for plans made before durable logs existed: 1 day and 100 MB per day when absent. */
  logRetentionDays?: number;
  logMbPerDay?: number;
  /** Optional for callers made before build allotments existed: 1024 MB and one core when absent. */
  buildMemoryMb?: number;
  buildCpuMillis?: number;
  /** Optional: false (apps never sleep) when absent. */
  scaleToZero?: boolean;
};

@Injectable()
export class PlansService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(Plan) private readonly plans: Repository<Plan>,
    private readonly audit: AuditService,
    @Inject(TENANT_USAGE_READER) private readonly usage: TenantUsageReader,
    @Inject(TENANT_RELEASE_RESIZER) private readonly resizer: TenantReleaseResizer,
  ) {}

  listOffered(): Promise<Plan[]> {
    return this.plans.find({ where: { retiredAt: IsNull() }, order: { memoryMb: 'ASC' } });
  }

  listAll(): Promise<Plan[]> {
    return this.plans.find({ order: { memoryMb: 'ASC' } });
  }

  async get(id: string): Promise<Plan> {
    const plan = await this.plans.findOne({ where: { id } });
    if (!plan) throw problems.notFound('plan', id);
    return plan;
  }

  async create(principal: Principal, input: PlanLimits & { isDefault?: boolean }): Promise<Plan> {
    if (await this.plans.exists({ where: { id: input.id } })) {
      throw problems.conflict('plan_exists', `A plan with id '${input.id}' already exists`);
    }
    const plan = await this.dataSource.transaction(async (manager) => {
      if (input.isDefault) await manager.update(Plan, { isDefault: true }, { isDefault: false });
      const saved = await manager.save(
        manager.create(Plan, { ...input, isDefault: input.isDefault ?? false }),
      );
      await this.audit.record(
        {
          tenantId: null,
          actor: actorOf(principal),
          action: 'plan.create',
          target: `plan:${saved.id}`,
          data: { ...input },
        },
        manager,
      );
      return saved;
    });
    return plan;
  }

  /** Changes apply to tenants already on the plan (containers are resized at their next deploy). */
  async update(
    principal: Principal,
    id: string,
    changes: Partial<PlanLimits> & { isDefault?: boolean },
  ): Promise<Plan> {
    return this.dataSource.transaction(async (manager) => {
      const plan = await manager.findOne(Plan, { where: { id }, lock: { mode: 'pessimistic_write' } });
      if (!plan) throw problems.notFound('plan', id);
      if (changes.isDefault === false && plan.isDefault) {
        throw problems.conflict('default_plan_required', 'Make another plan the default instead');
      }
      if (changes.isDefault) {
        if (plan.retiredAt) throw problems.conflict('plan_retired', 'A retired plan cannot be the default');
        await manager.update(Plan, { isDefault: true }, { isDefault: false });
      }
      await manager.update(Plan, id, changes);
      await this.audit.record(
        {
          tenantId: null,
          actor: actorOf(principal),
          action: 'plan.update',
          target: `plan:${id}`,
          data: { ...changes },
        },
        manager,
      );
      return manager.findOneOrFail(Plan, { where: { id } });
    });
  }

  /** A retired plan is no longer offered; tenants on it keep it until they switch. */
  async retire(principal: Principal, id: string): Promise<Plan> {
    const plan = await this.get(id);
    if (plan.isDefault)
      throw problems.conflict('default_plan_required', 'The default plan cannot be retired');
    if (!plan.retiredAt) await this.plans.update(id, { retiredAt: new Date() });
    await this.audit.record({
      tenantId: null,
      actor: actorOf(principal),
      action: 'plan.retire',
      target: `plan:${id}`,
    });
    return this.get(id);
  }

  /**
   * Switches the caller's tenant to another offered plan. Every release is re-sized to the new plan's
   * container size (a new release per app, rolled out like any other), so the switch is refused, naming
   * each limit, when the tenant's wanted containers at that size do not fit the new plan. The tenant row
   * stays locked throughout: no scale or upload slips in between the check and the switch.
   */
  async switchPlan(principal: Principal, planId: string): Promise<Tenant> {
    const tenantId = principal.tenantId!;
    return this.dataSource.transaction(async (manager) => {
      const tenant = await manager.findOneOrFail(Tenant, {
        where: { id: tenantId },
        lock: { mode: 'pessimistic_write' },
      });
      const plan = await manager.findOne(Plan, { where: { id: planId, retiredAt: IsNull() } });
      if (!plan) throw problems.notFound('plan', planId);
      const usage = await this.usage.usageOf(tenantId, manager);
      const violations = planViolations(plan, usage, usage.containers);
      if (violations.length > 0) {
        throw new ProblemError(
          409,
          'plan_does_not_fit',
          'Conflict',
          `Current use does not fit plan '${plan.id}': ${violations
            .map((v) => `${v.quota} is ${v.limit}, current use is ${v.current}`)
            .join('; ')}`,
          { violations },
        );
      }
      const from = tenant.planId;
      await manager.update(Tenant, tenantId, { planId: plan.id });
      const resized = await this.resizer.resizeTenant(manager, tenantId, plan, actorOf(principal));
      await this.audit.record(
        {
          tenantId,
          actor: actorOf(principal),
          action: 'plan.switch',
          target: `tenant:${tenantId}`,
          data: { from, to: plan.id, resizedApps: resized },
        },
        manager,
      );
      return { ...tenant, planId: plan.id };
    });
  }
}
