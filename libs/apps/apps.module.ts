import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TENANT_RELEASE_RESIZER, TENANT_USAGE_READER } from '../plans/index.js';
import { AppChanges } from './app-changes.js';
import { App } from './app.entity.js';
import { AppsRepository } from './apps.repository.js';
import { AppsService } from './apps.service.js';
import { IdempotencyRecord } from './idempotency-record.entity.js';
import { IdempotencyService } from './idempotency.service.js';
import { QuotaService } from './quota.service.js';
import { Release } from './release.entity.js';
import { ReleasePhaseRecords } from './release-phase-records.js';
import { ReleasesService } from './releases.service.js';

/**
 * Global so the plans domain receives TENANT_USAGE_READER and TENANT_RELEASE_RESIZER (ports it defines,
 * implemented by QuotaService and ReleasesService) without importing apps: apps depends on plans, never
 * the other way.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([App, Release, IdempotencyRecord])],
  providers: [
    AppChanges,
    AppsService,
    AppsRepository,
    ReleasesService,
    ReleasePhaseRecords,
    QuotaService,
    IdempotencyService,
    { provide: TENANT_USAGE_READER, useExisting: QuotaService },
    { provide: TENANT_RELEASE_RESIZER, useExisting: ReleasesService },
  ],
  exports: [
    AppChanges,
    AppsService,
    AppsRepository,
    ReleasesService,
    ReleasePhaseRecords,
    QuotaService,
    IdempotencyService,
    TENANT_USAGE_READER,
    TENANT_RELEASE_RESIZER,
  ],
})
export class AppsModule {}
