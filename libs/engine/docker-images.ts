import type Docker from 'dockerode';
import { BoundedLineSplitter } from './bounded-lines.js';
import type { BuildImageOptions, ImageInfo, ImageSummary } from './container-engine.js';
import { DEFAULT_NOFILE_LIMIT, assertPositiveInteger } from './container-spec.js';
import { dockerCall, dockerCallAbsentOn404, toEngineError } from './docker-errors.js';
import { BuildFailedError, EngineError } from './engine-errors.js';
import { splitReference } from './image-transfer.js';
import { isImageDigest, type RegistryAuth } from './registry-auth.js';
import {
  abortReason,
  destroyOnAbort,
  MAX_ENGINE_JSON_LINE_BYTES,
  parseJsonLine,
  streamLines,
} from './stream-lines.js';

const MB = 1024 * 1024;
const CPU_PERIOD_US = 100_000;
/** Terminal colour codes; the classic builder wraps each RUN step's stderr in red ones. */
// eslint-disable-next-line no-control-regex
const SGR_SEQUENCE = /\x1b\[[0-9;]*m/g;

interface ProgressMessage {
  stream?: string;
  status?: string;
  aux?: { ID?: string; Digest?: string };
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * `docker build` with the classic builder: every RUN step's container gets the plan's memory (no swap),
 * CPU quota and the nofile ulimit. (The classic builder has no pids limit or cap drop for RUN steps; the
 * generated Dockerfile switches to the non-root user before running tenant code.)
 */
export async function dockerBuildImage(
  docker: Docker,
  extraLabels: Record<string, string>,
  options: BuildImageOptions,
): Promise<{ imageId: string }> {
  const { signal, onLog } = options;
  assertPositiveInteger('memoryMb', options.memoryMb, 6);
  assertPositiveInteger('cpuMillis', options.cpuMillis, 1);
  if (signal?.aborted) throw abortReason(signal);
  const memory = options.memoryMb * MB;
  const buildOptions: Docker.ImageBuildOptions & { ulimits: string } = {
    t: options.tag,
    labels: { ...extraLabels, ...options.labels },
    buildargs: options.buildArgs ?? {},
    memory,
    memswap: memory,
    cpuperiod: CPU_PERIOD_US,
    cpuquota: Math.max(1000, Math.round((options.cpuMillis * CPU_PERIOD_US) / 1000)),
    ulimits: JSON.stringify([{ Name: 'nofile', Soft: DEFAULT_NOFILE_LIMIT, Hard: DEFAULT_NOFILE_LIMIT }]),
    rm: true,
    forcerm: true,
    ...(options.networkName === undefined ? {} : { networkmode: options.networkName }),
    abortSignal: signal,
  };

  let output: NodeJS.ReadableStream;
  try {
    output = await docker.buildImage(options.context, buildOptions);
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal);
    throw toEngineError('buildImage', error);
  }

  const stopListening = destroyOnAbort(output, signal);
  let imageId: string | undefined;
  let failure: string | undefined;
  // Tenant output (npm lifecycle scripts) arrives in `stream` messages: cut into bounded lines as it comes.
  const buildLines = new BoundedLineSplitter((line) =>
    onLog?.(line.replace(SGR_SEQUENCE, '').replace(/\r$/, '')),
  );
  try {
    for await (const line of streamLines(output, MAX_ENGINE_JSON_LINE_BYTES)) {
      const message = parseJsonLine<ProgressMessage>(line);
      if (!message) continue;
      if (message.error !== undefined || message.errorDetail !== undefined) {
        failure = message.errorDetail?.message ?? message.error ?? 'unknown build error';
        break;
      }
      if (typeof message.stream === 'string') buildLines.push(Buffer.from(message.stream));
      else if (typeof message.status === 'string') buildLines.push(Buffer.from(`${message.status}\n`));
      if (typeof message.aux?.ID === 'string') imageId = message.aux.ID;
    }
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal);
    throw toEngineError('buildImage', error);
  } finally {
    stopListening();
  }
  buildLines.end();
  if (failure !== undefined) throw new BuildFailedError({ buildError: failure, tag: options.tag });
  if (imageId === undefined) {
    const image = await dockerInspectImage(docker, options.tag);
    if (!image) throw new EngineError({ operation: 'buildImage', message: `no image tagged ${options.tag}` });
    imageId = image.id;
  }
  return { imageId };
}

export async function dockerInspectImage(docker: Docker, ref: string): Promise<ImageInfo | undefined> {
  const raw = await dockerCallAbsentOn404('inspectImage', () => docker.getImage(ref).inspect());
  if (!raw) return undefined;
  return {
    id: raw.Id,
    tags: raw.RepoTags ?? [],
    labels: raw.Config?.Labels ?? {},
    sizeBytes: raw.Size,
    createdAt: new Date(raw.Created),
    user: raw.Config?.User ?? '',
    os: raw.Os,
    architecture: raw.Architecture,
  };
}

export async function dockerRemoveImage(docker: Docker, ref: string, force: boolean): Promise<void> {
  await dockerCallAbsentOn404('removeImage', () => docker.getImage(ref).remove({ force }));
}

export async function dockerSaveImage(docker: Docker, ref: string): Promise<NodeJS.ReadableStream> {
  return dockerCall('saveImage', () => docker.getImage(ref).get());
}

/** Streams the tar into the engine and reads its progress answer to the end (errors arrive in it). */
export async function dockerLoadImage(docker: Docker, tar: NodeJS.ReadableStream): Promise<void> {
  const output = await dockerCall('loadImage', () => docker.loadImage(tar, { quiet: true }));
  try {
    for await (const line of streamLines(output, MAX_ENGINE_JSON_LINE_BYTES)) {
      const message = parseJsonLine<ProgressMessage>(line);
      if (message && (message.error !== undefined || message.errorDetail !== undefined)) {
        throw new EngineError({
          operation: 'loadImage',
          message: message.errorDetail?.message ?? message.error ?? 'unknown load error',
        });
      }
    }
  } catch (error) {
    throw toEngineError('loadImage', error);
  }
}

export async function dockerTagImage(docker: Docker, ref: string, target: string): Promise<void> {
  const { repository, tag } = splitReference(target);
  await dockerCall('tagImage', () => docker.getImage(ref).tag({ repo: repository, tag }));
}

/**
 * The X-Registry-Auth an engine call carries. With a token, the engine sends it as the bearer token to
 * the registry (no password, no round trip to a token service); with an account, the engine asks the
 * registry's token service for tokens. Without either, an empty authconfig: the Engine API refuses a push
 * without an X-Registry-Auth header ("missing X-Registry-Auth"), and dockerode sends the header only when
 * given an authconfig.
 */
function authconfigFor(ref: string, auth: RegistryAuth | undefined): Docker.AuthConfig {
  const serveraddress = ref.slice(0, ref.indexOf('/'));
  if (!auth) return {} as Docker.AuthConfig;
  if ('registryToken' in auth) {
    return { registrytoken: auth.registryToken, serveraddress } as unknown as Docker.AuthConfig;
  }
  return { username: auth.username, password: auth.password, serveraddress };
}

export async function dockerPushImage(
  docker: Docker,
  options: { ref: string; auth?: RegistryAuth; signal?: AbortSignal },
): Promise<{ digest: string }> {
  const { ref, signal } = options;
  const { repository, tag } = splitReference(ref);
  if (signal?.aborted) throw abortReason(signal);
  const output = await dockerCall('pushImage', () =>
    docker
      .getImage(repository)
      .push({ tag, authconfig: authconfigFor(ref, options.auth), abortSignal: signal }),
  );
  const { digest } = await readProgress('pushImage', output, signal);
  if (digest === undefined) {
    throw new EngineError({ operation: 'pushImage', message: `the engine reported no digest for ${ref}` });
  }
  return { digest };
}

export async function dockerPullImage(
  docker: Docker,
  options: { ref: string; auth?: RegistryAuth; signal?: AbortSignal },
): Promise<void> {
  const { ref, signal } = options;
  if (signal?.aborted) throw abortReason(signal);
  const output = (await dockerCall('pullImage', () =>
    docker.pull(ref, { authconfig: authconfigFor(ref, options.auth), abortSignal: signal }),
  )) as NodeJS.ReadableStream;
  await readProgress('pullImage', output, signal);
}

/**
 * Reads a push/pull progress stream to its end. The Engine answers 200 before the registry is contacted,
 * so a failure arrives as an error message in the stream, not as an HTTP status. A push ends with an
 * `aux` message carrying the manifest digest the registry stored.
 */
async function readProgress(
  operation: string,
  output: NodeJS.ReadableStream,
  signal: AbortSignal | undefined,
): Promise<{ digest: string | undefined }> {
  const stopListening = destroyOnAbort(output, signal);
  let digest: string | undefined;
  try {
    for await (const line of streamLines(output, MAX_ENGINE_JSON_LINE_BYTES)) {
      const message = parseJsonLine<ProgressMessage>(line);
      if (message && (message.error !== undefined || message.errorDetail !== undefined)) {
        const text = message.errorDetail?.message ?? message.error ?? `unknown ${operation} error`;
        // "does not exist locally" is the push's 404, said in the stream.
        const statusCode = /does not exist locally|no such image/i.test(text) ? 404 : undefined;
        throw new EngineError({ operation, message: text, ...(statusCode ? { statusCode } : {}) });
      }
      if (message?.aux?.Digest !== undefined && isImageDigest(message.aux.Digest))
        digest = message.aux.Digest;
    }
    return { digest };
  } catch (error) {
    if (signal?.aborted) throw abortReason(signal);
    throw toEngineError(operation, error);
  } finally {
    stopListening();
  }
}

export async function dockerListImages(
  docker: Docker,
  labels: Record<string, string>,
): Promise<ImageSummary[]> {
  const images = await dockerCall('listImages', () =>
    docker.listImages({ filters: { label: labelFilter(labels) } }),
  );
  return images.map((image) => ({
    id: image.Id,
    tags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
    labels: image.Labels ?? {},
    sizeBytes: image.Size,
    createdAt: new Date(image.Created * 1000),
  }));
}

/** Engine API label filter values: "key=value". */
export function labelFilter(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}
