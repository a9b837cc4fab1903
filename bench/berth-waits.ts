/**
 * How a client of Berth's API sees an operation finish: it polls the app (GET /v1/apps/{app}) for the
 * endpoints Berth lists, and calls them. Polled at the same 100 ms interval the raw baselines use.
 */
import { type DockerEngine, LABELS } from '../libs/engine/index.js';
import type { ApiClient, AppState } from './api-client.js';
import { answers200, waitUntil } from './probes.js';

/**
 * Resolves once `count` distinct endpoints listed by the API have answered HTTP 200 with `body` (when
 * given). Fails fast when the build fails or the app reports phase `failed`/`crashloop`.
 */
export async function waitServing(
  client: ApiClient,
  app: string,
  options: { count: number; body?: string; buildId?: string; timeoutMs: number },
): Promise<AppState> {
  const served = new Set<string>();
  let polls = 0;
  return waitUntil(
    `${options.count} endpoint(s) of ${app} answering 200`,
    async () => {
      polls += 1;
      const state = await client.app(app);
      if (state.phase === 'failed' || state.phase === 'crashloop') {
        throw new Error(`app ${app} is ${state.phase}: ${state.statusReason}`);
      }
      // Checking the build costs a request: every 10th poll is enough to fail fast on a broken build.
      if (options.buildId && polls % 10 === 0) {
        const build = await client.build(app, options.buildId);
        if (build.status === 'failed' || build.status === 'cancelled') {
          throw new Error(`build of ${app} ${build.status}: ${build.error}`);
        }
      }
      const fresh = state.endpoints.filter((url) => !served.has(url));
      const results = await Promise.all(
        fresh.map(async (url) => [url, await answers200(url, options.body)] as const),
      );
      for (const [url, ok] of results) if (ok) served.add(url);
      return served.size >= options.count ? state : undefined;
    },
    { timeoutMs: options.timeoutMs },
  );
}

/** What GET /v1/apps/{app}/wait answers (the fields the benchmarks read). */
export interface WaitAnswer {
  outcome: 'ready' | 'failed' | 'timeout';
  reason: string | null;
  release: number | null;
  endpoints: string[];
}

/**
 * What a deploying client (`berth deploy`, a CI script) does after its upload instead of polling:
 * `GET /v1/apps/{app}/wait?build=<id>` (a long poll that answers once a web replica of the build's
 * release is ready, with that release's endpoints; asked again when it answers `timeout`), then calls
 * an endpoint it named until it answers 200 with `body` (every 100 ms, as the raw side polls its port;
 * Berth lists a replica only once it accepts connections, so the first call normally answers).
 * `onAnswered` gets the time the wait answered ready.
 */
export async function waitDeployed(
  client: ApiClient,
  app: string,
  options: { buildId: string; body: string; timeoutMs: number; onAnswered?: (at: number) => void },
): Promise<string[]> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const timeout = Math.max(1, Math.min(30_000, deadline - Date.now()));
    const { body: answer } = await client.call<WaitAnswer>(
      'GET',
      `/v1/apps/${app}/wait?build=${options.buildId}&timeout=${timeout}`,
      { expect: 200 },
    );
    if (answer.outcome === 'failed') throw new Error(`deploy of ${app} failed: ${answer.reason}`);
    if (answer.outcome === 'ready') {
      options.onAnswered?.(Date.now());
      const endpoints = answer.endpoints;
      await waitUntil(
        `an endpoint of ${app} v${answer.release} answering 200`,
        async () => (await Promise.all(endpoints.map((url) => answers200(url, options.body)))).some(Boolean),
        { timeoutMs: Math.max(1000, deadline - Date.now()) },
      );
      return endpoints;
    }
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${app} to deploy: ${answer.reason}`);
  }
}

/**
 * A diagnostic next to waitServing: resolves once `count` running containers of the app, found in
 * Docker by label (not through the API), have answered HTTP 200 on their published ports. The gap
 * between the two is the time Berth takes to notice readiness and list the endpoints.
 */
export async function waitContainersServing(
  engine: DockerEngine,
  appId: string,
  options: { count: number; body?: string; timeoutMs: number },
): Promise<void> {
  const endpoints = new Map<string, string>(); // container id → endpoint
  const served = new Set<string>();
  await waitUntil(
    `${options.count} container(s) of app ${appId} answering 200`,
    async () => {
      const running = await engine.listContainers({ labels: { [LABELS.app]: appId } });
      await Promise.all(
        running
          .filter((container) => !endpoints.has(container.id))
          .map(async (container) => {
            const port = (await engine.inspectContainer({ id: container.id }))?.ports[0];
            if (port) endpoints.set(container.id, `http://${port.hostIp}:${port.hostPort}`);
          }),
      );
      const fresh = [...endpoints].filter(([id]) => !served.has(id));
      const results = await Promise.all(
        fresh.map(async ([id, url]) => [id, await answers200(url, options.body)] as const),
      );
      for (const [id, ok] of results) if (ok) served.add(id);
      return served.size >= options.count;
    },
    { timeoutMs: options.timeoutMs },
  );
}

/**
 * Resolves once the API reports the app stopped and converged with no endpoint, and Docker has no
 * container of the app left (running or not): "all gone" as both the client and the host see it.
 */
export async function waitGone(
  client: ApiClient,
  engine: DockerEngine,
  app: string,
  options: { appId: string; timeoutMs: number },
): Promise<void> {
  await waitUntil(
    `${app} to stop`,
    async () => {
      const state = await client.app(app);
      if (!(state.converged && state.phase === 'stopped' && state.endpoints.length === 0)) return false;
      const left = await engine.listContainers({ labels: { [LABELS.app]: options.appId }, all: true });
      return left.length === 0;
    },
    { timeoutMs: options.timeoutMs },
  );
}

/**
 * Deletes apps and waits until Docker has none of their containers or images (Berth removes the images
 * last; the API answers 404 from the moment deletion starts), so no cleanup overlaps the next
 * measurement. That matters beyond I/O: the classic builder fails a build ("unable to find image") when
 * an image it is probing for cache is deleted under it. Never timed.
 */
export async function deleteApps(
  client: ApiClient,
  engine: DockerEngine,
  apps: readonly { name: string; id: string }[],
): Promise<void> {
  for (const app of apps) await client.deleteApp(app.name);
  await waitUntil(
    `${apps.length} app(s) to be deleted`,
    async () => {
      for (const app of apps) {
        const labels = { [LABELS.app]: app.id };
        if ((await engine.listContainers({ labels, all: true })).length > 0) return false;
        if ((await engine.listImages({ labels })).length > 0) return false;
      }
      return true;
    },
    { timeoutMs: 300_000, intervalMs: 500 },
  );
}
