import { InitialSchema1795443318915 } from './1795443318915-InitialSchema.js';
import { SeedPlans1795443400000 } from './1795443400000-SeedPlans.js';

// Listed explicitly (not globbed) so the same list works compiled, under jest and in scripts. Append new ones.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const MIGRATIONS: Function[] = [InitialSchema1795443318915, SeedPlans1795443400000];
