import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppsModule } from '../apps/index.js';
import { HostsModule } from '../hosts/index.js';
import { NetworksModule } from '../networks/index.js';
import { BuildLogLine } from './build-log-line.entity.js';
import { BuildRetention } from './build-retention.js';
import { BuildRunner } from './build-runner.js';
import { Build } from './build.entity.js';
import { BuildsRepositoryModule } from './builds-repository.module.js';
import { BuildsStorageModule } from './builds-storage.module.js';
import { BuildsService } from './builds.service.js';

@Module({
  imports: [
    TypeOrmModule.forFeature([Build, BuildLogLine]),
    AppsModule,
    HostsModule,
    BuildsStorageModule,
    NetworksModule,
    BuildsRepositoryModule,
  ],
  providers: [BuildsService, BuildRunner, BuildRetention],
  exports: [BuildsService, BuildRetention],
})
export class BuildsModule {}
