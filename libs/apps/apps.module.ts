import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TENANT_USAGE_READER } from '../plans/plan-fit.js';
import { AppChanges } from './app-changes.js';
import { AppOverviewService } from './app-overview.service.js';
import { App } from './app.entity.js';
import { AppsFacade } from './apps.facade.js';
import { AppsService } from './apps.service.js';
import { IdempotencyRecord } from './idempotency-record.entity.js';
import { IdempotencyService } from './idempotency.service.js';
import { QuotaService } from './quota.service.js';
import { Release } from './release.entity.js';
import { ReleasesService } from './releases.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([App, Release, IdempotencyRecord])],
  providers: [
    AppChanges,
    AppsService,
    ReleasesService,
    QuotaService,
    AppOverviewService,
    AppsFacade,
    IdempotencyService,
    { provide: TENANT_USAGE_READER, useExisting: QuotaService },
  ],
  exports: [
    AppChanges,
    AppsService,
    ReleasesService,
    QuotaService,
    AppOverviewService,
    AppsFacade,
    IdempotencyService,
    TENANT_USAGE_READER,
  ],
})
export class AppsModule {}
