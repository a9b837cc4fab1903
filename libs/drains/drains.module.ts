import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppsModule } from '../apps/index.js';
import { AuditModule } from '../audit/index.js';
import { LogsModule } from '../logs/index.js';
import { DrainForwarding } from './drain-forwarding.js';
import { DRAINS_ENTITIES } from './entities.js';
import { DrainsRepository } from './drains.repository.js';
import { DrainsService } from './drains.service.js';

/** Log drains: the API's CRUD and, where workers run, the forwarding from the process's LogHub. */
@Module({
  imports: [TypeOrmModule.forFeature(DRAINS_ENTITIES), AppsModule, AuditModule, LogsModule],
  providers: [DrainsRepository, DrainsService, DrainForwarding],
  exports: [DrainsService],
})
export class DrainsModule {}
