// The public entry of libs/runs: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { RUNS_ENTITIES } from './entities.js';
export { ACTIVE_RUN_STATES, OneOffRun, type RunPurpose, type RunState } from './one-off-run.entity.js';
export { RUN_LABEL, RunExecutor } from './run-executor.js';
export { LOST_AFTER_MS, RunSweeper } from './run-sweeper.js';
export { MAX_LINES_PER_RUN, type RunOutputEntry, RunOutputStore } from './run-output.store.js';
export { RunsModule, RunsRepositoryModule } from './runs.module.js';
export { RunsRepository } from './runs.repository.js';
export {
  DEFAULT_RUN_TIMEOUT_SECONDS,
  MAX_RUN_TIMEOUT_SECONDS,
  RUN_VIEW_TAIL_LINES,
  RunsService,
  type StartRunInput,
  argvOf,
} from './runs.service.js';
