// The public entry of libs/builds: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { type BlobStore } from './blob-store.js';
export { BuildLogStore, type BuildLogEntry } from './build-log.store.js';
export {
  BuildRetention,
  RETENTION_APPS_PER_PASS,
  RETENTION_BUILDS_PER_APP,
  type RetentionPassReport,
} from './build-retention.js';
export {
  planBuildRetention,
  type RetentionBuild,
  type RetentionPlan,
  type RetentionRelease,
} from './build-retention-plan.js';
export { RUNTIME_IMAGE } from './build-runner.js';
export { Build } from './build.entity.js';
export { BLOB_STORE, BuildsStorageModule } from './builds-storage.module.js';
export { BuildsModule } from './builds.module.js';
export { BuildsRepositoryModule } from './builds-repository.module.js';
export { BuildsRepository } from './builds.repository.js';
export { BuildsService } from './builds.service.js';
export { MIN_BUILD_MEMORY_MB } from './build-containment.js';
export { removeDependencyImages } from './dependency-install.js';
export { buildContextTar } from './dockerfile.js';
export { BUILDS_ENTITIES } from './entities.js';
