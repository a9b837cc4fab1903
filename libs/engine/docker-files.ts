import type Docker from 'dockerode';
import type { CreateVolumeOptions } from './container-files.js';
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
