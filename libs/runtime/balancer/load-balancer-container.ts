import {
  EngineError,
  hardenedContainerSpec,
  type ContainerEngine,
  type ContainerSpec,
} from '../../engine/index.js';
import { acceptsConnections } from '../readiness.js';
import { APP_PORT, REPLICA_LABEL, type ReplicaRole } from '../replica-role.js';
import { HAPROXY_FILES } from './haproxy-reload.js';

/** Built offline by scripts/build-base-images.sh (HAProxy 2.6 from Debian, user haproxy = 10002, dash). */
export const LB_IMAGE = process.env.BERTH_HAPROXY_IMAGE ?? 'berth/haproxy:local';
export const HAPROXY_UID = 10002;
/** The configuration a balancer starts from (its tmpfs is empty at every start); reloads replace it. */
export const LB_CONFIG_ENV = 'BERTH_LB_CONFIG';

/**
 * Writes the start configuration from the env into the tmpfs, then becomes the HAProxy master
 * (`-W` master-worker: SIGUSR2 reloads, SIGUSR1 soft-stops; `-db` stays in the foreground under Docker's
 * init, which forwards signals to it). A constant: the configuration comes in through the env only.
 */
export const LB_START_COMMAND = [
  'sh',
  '-c',
  `printf '%s' "$${LB_CONFIG_ENV}" > ${HAPROXY_FILES.live} && exec haproxy -W -db -f ${HAPROXY_FILES.live}`,
];

/**
 * The balancer's container: hardened like every tenant container (hardenedContainerSpec: non-root uid of
 * the image's haproxy user, all capabilities dropped, read-only root, /tmp tmpfs, plan memory and CPU), on
 * the tenant's network, publishing `port` at the host's public address. Pure.
 */
export function loadBalancerContainerSpec(input: {
  tenantId: string;
  appId: string;
  appName: string;
  replicaId: string;
  instance: string;
  configFile: string;
  plan: { memoryMb: number; cpuMillis: number };
  port: number;
  publishAddress: string;
  image?: string;
}): ContainerSpec {
  return hardenedContainerSpec({
    tenantId: input.tenantId,
    appId: input.appId,
    appName: input.appName,
    role: 'lb',
    instance: input.instance,
    image: input.image ?? LB_IMAGE,
    cmd: LB_START_COMMAND,
    env: { [LB_CONFIG_ENV]: input.configFile },
    plan: input.plan,
    containerPort: input.port,
    publishAddress: input.publishAddress,
    lbUid: HAPROXY_UID,
    networkAliases: [`${input.appName}-lb`],
    extraLabels: { [REPLICA_LABEL]: input.replicaId },
    stopGraceSeconds: 5,
  });
}

/** After SIGUSR1 (soft stop) the balancer gets this long to let its connections finish. */
const SOFT_STOP_MS = 8_000;

/**
 * Soft stop (SIGUSR1: HAProxy stops listening and lets open connections finish, for up to 8 s), then
 * stop and remove the container. Resolves with the time it stopped (undefined when it was already gone).
 */
export async function softStopBalancer(engine: ContainerEngine, id: string): Promise<Date | undefined> {
  // SIGUSR1 again every second: a master that has just reloaded ignores signals for a moment.
  const deadline = Date.now() + SOFT_STOP_MS;
  let exited = !(await engine.inspectContainer({ id }))?.running;
  while (!exited && Date.now() < deadline) {
    await ignoreAbsentOrStopped(engine.killContainer({ id, signal: 'SIGUSR1' }));
    exited = await engine
      .waitContainer({ id, signal: AbortSignal.timeout(1000) })
      .then(() => true)
      .catch(() => false);
  }
  await ignoreAbsentOrStopped(engine.stopContainer({ id, graceSeconds: 2 }));
  const stoppedAt = (await engine.inspectContainer({ id }))?.finishedAt;
  await engine.removeContainer({ id, force: true });
  return stoppedAt;
}

async function ignoreAbsentOrStopped(call: Promise<void>): Promise<void> {
  try {
    await call;
  } catch (err) {
    if (err instanceof EngineError && (err.notFound || err.conflict)) return;
    throw err;
  }
}

/**
 * The balancer in the replicas' lifecycle: it listens on the app port (published like a web replica's,
 * which is the app's `loadBalancerEndpoint`), is ready once that port accepts connections, and stops softly.
 */
/** How long a connection to the balancer must stay open before it counts as ready. */
const LB_READINESS_SETTLE_MS = 250;

export const LB_ROLE: ReplicaRole = {
  name: 'lb',
  port: APP_PORT,
  // The settle a web replica had before it was cut to 100 ms: a balancer listed early answered its first
  // request with a reset once in CI, and its start is not on a deploy's path.
  // Only the published port, with its settle: whether the reset seen in CI came from the proxy is not known.
  isReady: ({ published }) =>
    acceptsConnections(published.address, published.port, 500, LB_READINESS_SETTLE_MS),
  readyOnOwnAddress: false,
  stopAndRemove: softStopBalancer,
};
