import { LogDrain } from './drain.entity.js';

export const DRAINS_ENTITIES = [LogDrain];
