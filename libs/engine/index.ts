// The public API of libs/engine. Everything outside this folder imports from here, never from dockerode.
export type {
  BuildImageOptions,
  ContainerDetails,
  ContainerEngine,
  ContainerLogsOptions,
  ContainerState,
  ContainerStats,
  ContainerSummary,
  EngineEvent,
  EngineEventType,
  EngineInfo,
  EnsureNetworkOptions,
  ImageInfo,
  ImageSummary,
  LogLine,
  NetworkSummary,
  PublishedPort,
} from './container-engine.js';
export { execCapabilityOf, hasExecCapability } from './container-exec.js';
export { containerLogBatchesOf, hasLogBatchesCapability } from './container-log-batches.js';
export type { ContainerLogBatchesCapability } from './container-log-batches.js';
export { hasStatsCapability, statsCapabilityOf } from './container-stats.js';
export type { ContainerCounters, ContainerStatsCapability } from './container-stats.js';
export { filesCapabilityOf, hasFilesCapability } from './container-files.js';
export type {
  CommitLayersOptions,
  ContainerFilesCapability,
  CreateVolumeOptions,
  ImageRunConfig,
} from './container-files.js';
export type { ContainerExecCapability, ExecOptions, ExecResult } from './container-exec.js';
export {
  DEFAULT_LOG_MAX_FILES,
  DEFAULT_LOG_MAX_SIZE_MB,
  DEFAULT_NOFILE_LIMIT,
  DEFAULT_PIDS_LIMIT,
  LABELS,
  TENANT_UID,
  TMPFS_MB,
  hardenedContainerSpec,
  tenantNetworkName,
} from './container-spec.js';
export type { ContainerRole, ContainerSpec, HardenedContainerInput, VolumeMount } from './container-spec.js';
export { toDockerCreateOptions } from './docker-create-options.js';
export { HOST_GUARD_CAPABILITIES, toHostGuardCreateOptions } from './docker-host-guard.js';
export { hasHostGuardCapability, hostGuardCapabilityOf } from './host-guard-container.js';
export type { HostGuardCapability, HostGuardContainerSpec } from './host-guard-container.js';
export { DockerEngine } from './docker-engine.js';
export { readHostPidsCounters, type PidsCounters } from './host-cgroups.js';
export type { DockerEngineOptions } from './docker-engine.js';
export {
  BuildFailedError,
  EngineCapabilityNotSupportedError,
  EngineError,
  ImageUnavailableError,
} from './engine-errors.js';
export { digestReference, ensureImage, publishImage, registryRef } from './image-transfer.js';
export { engineAuthFor, isImageDigest, repositoryInRegistry } from './registry-auth.js';
export type {
  RegistryAccess,
  RegistryAction,
  RegistryAuth,
  RegistryAuthorizer,
  RegistryTarget,
} from './registry-auth.js';
export { RegistryClient } from './registry-client.js';
export type { RegistryDeletion, RegistryEndpoint } from './registry-client.js';
export type { EnsureImageOptions, ImagePath, PublishedImage } from './image-transfer.js';
export { BoundedLineSplitter, MAX_LINE_BYTES, cutMark } from './bounded-lines.js';
export { LogLineAssembler } from './log-lines.js';
