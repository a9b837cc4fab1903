import { BuildLogLine } from './build-log-line.entity.js';
import { Build } from './build.entity.js';

/** The builds domain's TypeORM entities; the platform lib assembles every domain's list into the DataSource. */
export const BUILDS_ENTITIES = [Build, BuildLogLine];
