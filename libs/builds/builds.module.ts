import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppsModule } from '../apps/index.js';
import { HostsModule } from '../hosts/index.js';
import { NetworksModule } from '../networks/index.js';
import { BuildLogLine } from './build-log-line.entity.js';
import { BuildLogStore } from './build-log.store.js';
import { BuildQueue } from './build-queue.js';
import { BuildRunner } from './build-runner.js';
import { Build } from './build.entity.js';
import { BuildsStorageModule } from './builds-storage.module.js';
import { BuildsService } from './builds.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Build, BuildLogLine]),
    AppsModule,
    HostsModule,
    BuildsStorageModule,
    NetworksModule,
  ],
  providers: [BuildsService, BuildRunner, BuildQueue, BuildLogStore],
  exports: [BuildsService, BuildLogStore],
})
export class BuildsModule {}
