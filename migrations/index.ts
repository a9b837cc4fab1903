import { InitialSchema1795443751774 } from './1795443751774-InitialSchema.js';
import { SeedPlans1795443800000 } from './1795443800000-SeedPlans.js';
import { Runtime1795444210956 } from './1795444210956-Runtime.js';
import { BuildManifest1795444900000 } from './1795444900000-BuildManifest.js';
import { UsageRecords1795445100000 } from './1795445100000-UsageRecords.js';
import { ReleaseImageDigest1795445313000 } from './1795445313000-ReleaseImageDigest.js';
import { CrossProcessState1795446000000 } from './1795446000000-CrossProcessState.js';
import { TenantSubnets1796466818629 } from './1796466818629-TenantSubnets.js';
import { HostNetworkPolicy1796469627583 } from './1796469627583-HostNetworkPolicy.js';
import { LoginFailures1796500002000 } from './1796500002000-LoginFailures.js';
import { TenantReadBudgets1796500002100 } from './1796500002100-TenantReadBudgets.js';
import { CustomDomains1796500003000 } from './1796500003000-CustomDomains.js';
import { DomainCertificates1796500003100 } from './1796500003100-DomainCertificates.js';
import { BuildRetention1796600001000 } from './1796600001000-BuildRetention.js';
import { PrincipalChanges1796600002000 } from './1796600002000-PrincipalChanges.js';
import { PlanBuildAllotment1796600002100 } from './1796600002100-PlanBuildAllotment.js';
import { HealthChecks1796600003000 } from './1796600003000-HealthChecks.js';
import { OneOffRuns1796600004000 } from './1796600004000-OneOffRuns.js';
import { ReleasePhase1796600004100 } from './1796600004100-ReleasePhase.js';
import { AcmeCertificates1796600005000 } from './1796600005000-AcmeCertificates.js';
import { RouterEgress1796600006000 } from './1796600006000-RouterEgress.js';
import { AuditLogReads1796600007000 } from './1796600007000-AuditLogReads.js';
import { ReplicaSamples1796600008000 } from './1796600008000-ReplicaSamples.js';
import { Events1796600009000 } from './1796600009000-Events.js';
import { RolledBackEvents1796600009100 } from './1796600009100-RolledBackEvents.js';
import { Webhooks1796600010000 } from './1796600010000-Webhooks.js';
import { PrincipalAccountChanges1796600021000 } from './1796600021000-PrincipalAccountChanges.js';
import { Retention1796600022000 } from './1796600022000-Retention.js';
import { AppSleep1796600030000 } from './1796600030000-AppSleep.js';
import { LogDrains1796600040000 } from './1796600040000-LogDrains.js';
import { DurableLogs1796600050000 } from './1796600050000-DurableLogs.js';
import { AppListChanges1796600070000 } from './1796600070000-AppListChanges.js';
import { TenantChangeBudgets1796600090000 } from './1796600090000-TenantChangeBudgets.js';

// Listed explicitly (not globbed) so one list works compiled, under jest and in scripts. Append new ones;
// TypeORM runs them in timestamp order.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const MIGRATIONS: Function[] = [
  InitialSchema1795443751774,
  SeedPlans1795443800000,
  Runtime1795444210956,
  BuildManifest1795444900000,
  UsageRecords1795445100000,
  ReleaseImageDigest1795445313000,
  CrossProcessState1795446000000,
  TenantSubnets1796466818629,
  HostNetworkPolicy1796469627583,
  LoginFailures1796500002000,
  TenantReadBudgets1796500002100,
  CustomDomains1796500003000,
  DomainCertificates1796500003100,
  BuildRetention1796600001000,
  PrincipalChanges1796600002000,
  PlanBuildAllotment1796600002100,
  HealthChecks1796600003000,
  OneOffRuns1796600004000,
  ReleasePhase1796600004100,
  AcmeCertificates1796600005000,
  RouterEgress1796600006000,
  AuditLogReads1796600007000,
  ReplicaSamples1796600008000,
  Events1796600009000,
  RolledBackEvents1796600009100,
  Webhooks1796600010000,
  PrincipalAccountChanges1796600021000,
  Retention1796600022000,
  AppSleep1796600030000,
  LogDrains1796600040000,
  DurableLogs1796600050000,
  AppListChanges1796600070000,
  TenantChangeBudgets1796600090000,
];
