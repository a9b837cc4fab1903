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
