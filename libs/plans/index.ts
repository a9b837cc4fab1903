// The public entry of libs/plans: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { PLANS_ENTITIES } from './entities.js';
export {
  TENANT_RELEASE_RESIZER,
  TENANT_USAGE_READER,
  type PlanSize,
  type TenantReleaseResizer,
  type TenantUsage,
  type TenantUsageReader,
} from './plan-fit.js';
export { limitsOf, Plan } from './plan.entity.js';
export { PlansModule } from './plans.module.js';
export { PlansService } from './plans.service.js';
export { TenantPlanRepository } from './tenant-plan.repository.js';
