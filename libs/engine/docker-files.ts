import type Docker from 'dockerode';
import type { CommitFilesOptions, CommittedFiles, CreateVolumeOptions } from './container-files.js';
import { assertPositiveInteger } from './container-spec.js';
import { dockerCall, dockerCallAbsentOn404, statusOf, toEngineError } from './docker-errors.js';
import { abortReason, destroyOnAbort } from './stream-lines.js';

const VOLUME_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export async function dockerCreateVolume(
  docker: Docker,
  extraLabels: Record<string, string>,
  options: CreateVolumeOptions,
): Promise<void> {
  if (!VOLUME_NAME.test(options.name))
    throw new RangeError(`volume name ${JSON.stringify(options.name)} is not allowed`);
  assertPositiveInteger('sizeMb', options.sizeMb, 1);
  assertPositiveInteger('uid', options.uid, 1);
  await dockerCall('createVolume', () =>
    docker.createVolume({
      Name: options.name,
      Driver: 'local',
      DriverOpts: {
        type: 'tmpfs',
        device: 'tmpfs',
        o: `size=${options.sizeMb}m,uid=${options.uid},gid=${options.uid},mode=0700,nosuid,nodev`,
      },
      Labels: { ...extraLabels, ...options.labels },
    }),
  );
}

export async function dockerRemoveVolume(docker: Docker, name: string): Promise<void> {
  await dockerCallAbsentOn404('removeVolume', () => docker.getVolume(name).remove({ force: false }));
}

export async function dockerPutArchive(
  docker: Docker,
  options: { id: string; path: string; tar: NodeJS.ReadableStream; signal?: AbortSignal },
): Promise<void> {
  if (options.signal?.aborted) throw abortReason(options.signal);
  const stopListening = destroyOnAbort(options.tar, options.signal);
  try {
    await docker.getContainer(options.id).putArchive(options.tar, { path: options.path });
  } catch (error) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    throw toEngineError('putArchive', error);
  } finally {
    stopListening();
  }
}

export async function dockerGetArchive(
  docker: Docker,
  options: { id: string; path: string; signal?: AbortSignal },
): Promise<NodeJS.ReadableStream | undefined> {
  if (options.signal?.aborted) throw abortReason(options.signal);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.getContainer(options.id).getArchive({ path: options.path });
  } catch (error) {
    if (statusOf(error) === 404) {
      // 404 names either the path or the container; only an absent path is "absent".
      const container = await dockerCallAbsentOn404('getArchive', () =>
        docker.getContainer(options.id).inspect(),
      );
      if (container) return undefined;
    }
    throw toEngineError('getArchive', error);
  }
  const stopListening = destroyOnAbort(stream, options.signal);
  stream.once('end', stopListening);
  stream.once('close', stopListening);
  return stream;
}

/** Removes the volumes carrying `label`; returns how many. */
export async function dockerRemoveLabelledVolumes(docker: Docker, label: string): Promise<number> {
  const answer = await dockerCall('removeLabelled', () =>
    docker.listVolumes({ filters: { label: [label] } }),
  );
  const volumes = answer.Volumes ?? [];
  for (const volume of volumes) await dockerRemoveVolume(docker, volume.Name);
  return volumes.length;
}

/** `name[:tag]` of a local image reference (a registry port is not a tag: the tag follows the last `/`). */
function repositoryAndTag(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

export async function dockerCommitFiles(
  docker: Docker,
  extraLabels: Record<string, string>,
  options: CommitFilesOptions,
): Promise<CommittedFiles> {
  if (options.signal?.aborted) throw abortReason(options.signal);
  const config = options.config;
  // Never started: no process, no network. Its config becomes the image's (commit keeps the container's
  // config: the base image's with these labels and settings over it).
  const container = await dockerCall('commitFiles', () =>
    docker.createContainer({
      Image: options.baseImage,
      Labels: { ...extraLabels, ...options.labels },
      NetworkDisabled: true,
      HostConfig: { NetworkMode: 'none' },
      ...(config?.cmd ? { Cmd: config.cmd } : {}),
      ...(config?.env ? { Env: config.env } : {}),
      ...(config?.workingDir ? { WorkingDir: config.workingDir } : {}),
      ...(config?.user ? { User: config.user } : {}),
      ...(config?.exposedPorts
        ? { ExposedPorts: Object.fromEntries(config.exposedPorts.map((port) => [port, {}])) }
        : {}),
    }),
  );
  const remove = () =>
    dockerCallAbsentOn404('commitFiles', () => container.remove({ force: true })).then(
      () => undefined,
      () => undefined,
    );
  try {
    await dockerPutArchive(docker, {
      id: container.id,
      path: options.path,
      tar: options.tar,
      signal: options.signal,
    });
    if (options.signal?.aborted) throw abortReason(options.signal);
    const { repo, tag } = repositoryAndTag(options.tag);
    await dockerCall('commitFiles', () => container.commit({ repo, tag, pause: false }));
  } catch (error) {
    await remove();
    throw error;
  }
  // The image exists: the caller may go on while the container goes.
  return { removed: remove() };
}
