import { OneOffRun } from './one-off-run.entity.js';
import { RunOutputLine } from './run-output-line.entity.js';

export const RUNS_ENTITIES = [OneOffRun, RunOutputLine];
