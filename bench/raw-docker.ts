/**
 * The raw baselines: what a script calling the Docker Engine API directly does for the same result,
 * through libs/engine's DockerEngine (thin Engine API calls), with the inputs Berth used before build
 * containment (a classic Dockerfile whose RUN step installs dependencies), the context from buildContextTar, the container spec from
 * hardenedContainerSpec (same limits, read-only root, published port), the plan's memory and CPU.
 * No database, no queue, no reconciler, no readiness loop: just the calls and an HTTP poll.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { Readable } from 'node:stream';
import { RUNTIME_IMAGE, buildContextTar } from '../libs/builds/index.js';
import { hardenedContainerSpec, type DockerEngine } from '../libs/engine/index.js';
import { APP_PORT, STOP_GRACE_SECONDS } from '../libs/runtime/index.js';
import type { PlanLimits } from './api-client.js';
import { APP_MAIN } from './bench-archives.js';
import { BENCH_LABEL } from './bench-stack.js';
import { waitAll200 } from './probes.js';

/** Builds get at least this much memory, as Berth's build runner gives them (npm needs room). */
const MIN_BUILD_MEMORY_MB = 512;
/** A plan's build allotment when it names none (the plans table's column defaults). */
const DEFAULT_BUILD_MEMORY_MB = 1024;
const DEFAULT_BUILD_CPU_MILLIS = 1000;

export interface RawTarget {
  engine: DockerEngine;
  runId: string;
  network: string;
}

export interface RawContainer {
  id: string;
  endpoint: string;
}

/**
 * What a script would write for an app whose package.json has `main` and no lockfile: one Dockerfile,
 * dependencies installed by a RUN step in the classic builder (Berth installs them in a hardened
 * container instead: libs/builds/dependency-install.ts).
 */
export function benchDockerfile(): string {
  return [
    `FROM ${RUNTIME_IMAGE}`,
    'ENV NODE_ENV=production PORT=8080 HOME=/tmp npm_config_cache=/tmp/.npm npm_config_update_notifier=false \\',
    '    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
    'WORKDIR /app',
    'USER 10001',
    'COPY --chown=10001:10001 package.json ./',
    'RUN npm install --omit=dev --no-audit --no-fund && rm -rf /tmp/.npm',
    'COPY --chown=10001:10001 . .',
    `CMD ${JSON.stringify(['node', APP_MAIN])}`,
    '',
  ].join('\n');
}

/** What a raw build may use: the plan's build allotment as Berth's runner gives it, or the whole host. */
export type RawBuildLimits = 'build-allotment' | 'unlimited';

export function rawBuildLimits(
  plan: PlanLimits,
  limits: RawBuildLimits,
): { memoryMb: number; cpuMillis: number } {
  if (limits === 'unlimited') {
    // The Engine API takes no "no limit" here: the host's memory and every core are the same thing.
    return { memoryMb: Math.floor(os.totalmem() / 1024 ** 2), cpuMillis: os.cpus().length * 1000 };
  }
  return {
    memoryMb: Math.max(plan.buildMemoryMb ?? DEFAULT_BUILD_MEMORY_MB, MIN_BUILD_MEMORY_MB),
    cpuMillis: plan.buildCpuMillis ?? DEFAULT_BUILD_CPU_MILLIS,
  };
}

/** `docker build` of the upload with Berth's Dockerfile, at the plan's build allotment or unlimited. */
export async function rawBuild(
  target: RawTarget,
  options: {
    archive: Buffer;
    tag: string;
    plan: PlanLimits;
    limits?: RawBuildLimits;
    onLog?: (line: string) => void;
  },
): Promise<void> {
  await target.engine.buildImage({
    context: buildContextTar({
      normalizedTar: Readable.from([options.archive]),
      dockerfile: benchDockerfile(),
    }),
    tag: options.tag,
    labels: { [BENCH_LABEL]: target.runId },
    ...rawBuildLimits(options.plan, options.limits ?? 'build-allotment'),
    networkName: target.network,
    onLog: options.onLog,
  });
}

/** `docker create` + `docker start` of one replica-shaped container; resolves with its published endpoint. */
export async function rawRun(
  target: RawTarget,
  options: { image: string; appName: string; plan: PlanLimits },
): Promise<RawContainer> {
  const spec = hardenedContainerSpec({
    tenantId: `raw-${target.runId}`,
    appId: options.appName,
    appName: options.appName,
    releaseVersion: 1,
    role: 'web',
    instance: crypto.randomBytes(4).toString('hex'),
    image: options.image,
    env: {},
    plan: { memoryMb: options.plan.memoryMb, cpuMillis: options.plan.cpuMillis },
    containerPort: APP_PORT,
    publishAddress: '127.0.0.1',
    stopGraceSeconds: STOP_GRACE_SECONDS,
  });
  // Raw containers are not Berth's: no berth.managed-by label, so no Berth reconciler ever looks at them.
  const { id } = await target.engine.createContainer({
    ...spec,
    name: `bench-${spec.name}`,
    networkName: target.network,
    labels: { [BENCH_LABEL]: target.runId, 'berth.bench.app': options.appName },
  });
  await target.engine.startContainer({ id });
  const details = await target.engine.inspectContainer({ id });
  const port = details?.ports.find((p) => p.containerPort === APP_PORT);
  if (!port) throw new Error(`container ${id.slice(0, 12)} has no published port`);
  return { id, endpoint: `http://${port.hostIp}:${port.hostPort}` };
}

/** create + start `count` containers in parallel, then wait until every one answers HTTP 200. */
export async function rawRunAndWait(
  target: RawTarget,
  options: {
    image: string;
    appName: string;
    plan: PlanLimits;
    count: number;
    body?: string;
    timeoutMs?: number;
  },
): Promise<RawContainer[]> {
  const containers = await Promise.all(Array.from({ length: options.count }, () => rawRun(target, options)));
  await waitAll200(
    `${options.count} raw container(s) of ${options.appName}`,
    containers.map((c) => c.endpoint),
    { body: options.body, timeoutMs: options.timeoutMs ?? 120_000 },
  );
  return containers;
}

/** `docker stop` (SIGTERM, Berth's grace period) + `docker rm`, all in parallel. */
export async function rawStopAndRemove(
  target: RawTarget,
  containers: readonly RawContainer[],
): Promise<void> {
  await Promise.all(
    containers.map(async ({ id }) => {
      await target.engine.stopContainer({ id, graceSeconds: STOP_GRACE_SECONDS });
      await target.engine.removeContainer({ id, force: true });
    }),
  );
}

/** Force-removes containers (cleanup between measurements, never timed). */
export async function rawRemove(target: RawTarget, containers: readonly RawContainer[]): Promise<void> {
  await Promise.all(containers.map(({ id }) => target.engine.removeContainer({ id, force: true })));
}
