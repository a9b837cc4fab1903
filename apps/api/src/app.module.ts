import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppsModule } from '../../../libs/apps/index.js';
import { AuditModule } from '../../../libs/audit/index.js';
import { EventsModule } from '../../../libs/events/index.js';
import { BuildsModule } from '../../../libs/builds/index.js';
import { type BerthConfig, ConfigModule } from '../../../libs/config/index.js';
import { DatabaseModule } from '../../../libs/db/index.js';
import { HostsModule } from '../../../libs/hosts/index.js';
import { IdentityModule } from '../../../libs/identity/index.js';
import { IngressModule } from '../../../libs/ingress/index.js';
import { PlansModule } from '../../../libs/plans/index.js';
import { RunsModule } from '../../../libs/runs/index.js';
import { RuntimeModule } from '../../../libs/runtime/index.js';
import { MeteringModule } from '../../../libs/metering/index.js';
import { MetricsModule } from '../../../libs/metrics/index.js';
import { TenantBudgetsModule } from '../../../libs/tenant-budgets/index.js';
import { RetentionModule } from '../../../libs/retention/index.js';
import { LogsModule } from '../../../libs/logs/index.js';
import { DrainsModule } from '../../../libs/drains/index.js';
import { ENTITIES } from '../../../libs/platform/index.js';
import { WebhooksModule } from '../../../libs/webhooks/index.js';
import { AppsController } from './apps/apps.controller.js';
import { AdminAuditEventsController, AuditEventsController } from './audit/audit.controller.js';
import { BuildsController } from './builds/builds.controller.js';
import { DomainsController } from './domains/domains.controller.js';
import { EventsController } from './events/events.controller.js';
import { AuthGuard } from './auth/auth.guard.js';
import { HealthController } from './health/health.controller.js';
import { HostsController } from './hosts/hosts.controller.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { QuotaRefusalEvents } from './http/quota-refusal-events.js';
import { loggerOptions } from './http/logging.js';
import { ApiKeysController, PlatformApiKeysController } from './identity/api-keys.controller.js';
import { AuthController } from './identity/auth.controller.js';
import { UsersController } from './identity/users.controller.js';
import { AdminPlansController, PlansController } from './plans/plans.controller.js';
import { AdminUsageController, UsageController } from './usage/usage.controller.js';
import { DashboardController } from './logs/dashboard.controller.js';
import { LogStreamGateway } from './logs/log-stream.gateway.js';
import { LogsController } from './logs/logs.controller.js';
import { AdminMetricsController, AppMetricsController } from './metrics/metrics.controller.js';
import { RegistryTokenController } from './registry/registry-token.controller.js';
import { ReleaseCommandController } from './runs/release-command.controller.js';
import { RunsController } from './runs/runs.controller.js';
import { DrainsController } from './drains/drains.controller.js';
import { WebhooksController } from './webhooks/webhooks.controller.js';

export interface AppModuleOptions {
  config: BerthConfig;
  databaseUrl: string;
  /** False for tools that only read the route decorators (OpenAPI generation). */
  connectDatabase?: boolean;
  /** Where JSON log lines go (stdout when unset); tests read them to prove secrets stay out. */
  logStream?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(options.config),
        LoggerModule.forRoot(loggerOptions(options.config, options.logStream)),
        DatabaseModule.forRoot({
          url: options.databaseUrl,
          entities: ENTITIES,
          connect: options.connectDatabase,
        }),
        TerminusModule,
        AuditModule,
        EventsModule,
        IdentityModule,
        PlansModule,
        HostsModule,
        AppsModule,
        BuildsModule,
        RuntimeModule,
        RunsModule,
        MeteringModule,
        MetricsModule,
        LogsModule,
        TenantBudgetsModule,
        IngressModule,
        WebhooksModule,
        DrainsModule,
        RetentionModule,
      ],
      controllers: [
        HealthController,
        AuthController,
        UsersController,
        ApiKeysController,
        PlatformApiKeysController,
        PlansController,
        AdminPlansController,
        HostsController,
        RegistryTokenController,
        AppsController,
        DomainsController,
        BuildsController,
        RunsController,
        ReleaseCommandController,
        UsageController,
        AdminUsageController,
        AuditEventsController,
        EventsController,
        AdminAuditEventsController,
        LogsController,
        DashboardController,
        WebhooksController,
        DrainsController,
        AppMetricsController,
        AdminMetricsController,
      ],
      providers: [
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
        QuotaRefusalEvents,
        LogStreamGateway,
      ],
    };
  }
}
