import { Global, Module } from '@nestjs/common';
import { ACTIVE_BUILDS_READER } from '../apps/index.js';
import { BuildLogStore } from './build-log.store.js';
import { BuildsRepository } from './builds.repository.js';

/**
 * The builds rows and their log lines, one instance per process (BuildLogStore also carries the live
 * followers). Global so the apps domain receives ACTIVE_BUILDS_READER (the port it defines) without
 * importing builds, and the runtime and logs domains read builds without pulling in the build runner.
 */
@Global()
@Module({
  providers: [
    BuildsRepository,
    BuildLogStore,
    { provide: ACTIVE_BUILDS_READER, useExisting: BuildsRepository },
  ],
  exports: [BuildsRepository, BuildLogStore, ACTIVE_BUILDS_READER],
})
export class BuildsRepositoryModule {}
