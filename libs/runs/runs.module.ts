import { Global, Module } from '@nestjs/common';
import { ACTIVE_RUNS_READER, AppsModule } from '../apps/index.js';
import { HostsModule } from '../hosts/index.js';
import { NetworksModule } from '../networks/index.js';
import { RunExecutor } from './run-executor.js';
import { RunSweeper } from './run-sweeper.js';
import { RunOutputStore } from './run-output.store.js';
import { RunsRepository } from './runs.repository.js';
import { RunsService } from './runs.service.js';

/**
 * The runs rows and their output, one instance per process (RunOutputStore also tells live followers).
 * Global so the apps domain receives ACTIVE_RUNS_READER (the port it defines) without importing runs.
 */
@Global()
@Module({
  providers: [RunsRepository, RunOutputStore, { provide: ACTIVE_RUNS_READER, useExisting: RunsRepository }],
  exports: [RunsRepository, RunOutputStore, ACTIVE_RUNS_READER],
})
export class RunsRepositoryModule {}

/** One-off runs and release commands: the service and the executor that supervises containers. */
@Module({
  imports: [RunsRepositoryModule, AppsModule, HostsModule, NetworksModule],
  providers: [RunsService, RunExecutor, RunSweeper],
  exports: [RunsService, RunExecutor, RunSweeper],
})
export class RunsModule {}
