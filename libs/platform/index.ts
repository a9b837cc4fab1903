// The public entry of libs/platform: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { createBerthDataSource } from './data-source.js';
export { ENTITIES } from './entities.js';
