import type { BerthClient, Schemas } from '../../../packages/client/src/index.js';
import { CliError, ExitCode, problemError, unwrap } from './cli-error.js';
import { formatBytes, say } from './output.js';
import { packFolder } from './source-archive.js';

const UPLOAD_CHUNK_BYTES = 64 * 1024;

export interface DeployOptions {
  app: string;
  folder: string;
  /** seconds to wait for the rollout */
  timeout: number;
}

export interface DeployResult {
  build: Schemas['BuildView'];
  release: number;
  app: Schemas['AppView'];
  urls: string[];
}

/** Pack, upload with progress, follow the build log live, wait for the rollout, return the app's URLs. */
export async function deploy(client: BerthClient, options: DeployOptions): Promise<DeployResult> {
  const { archive, files } = await packFolder(options.folder);
  say(`Packed ${files} files (${formatBytes(archive.length)})`);
  const build = await upload(client, options.app, archive);
  say(`Build ${build.id} queued`);
  await followBuildLog(client, options.app, build.id);
  const finished = unwrap(
    await client.GET('/v1/apps/{app}/builds/{id}', { params: { path: { app: options.app, id: build.id } } }),
  );
  if (finished.status !== 'succeeded')
    throw new CliError(
      `Build ${finished.status}${finished.error ? `: ${finished.error}` : ''}`,
      ExitCode.deployFailed,
    );
  const releases = unwrap(
    await client.GET('/v1/apps/{app}/releases', { params: { path: { app: options.app } } }),
  );
  const release = releases.find((r) => r.buildId === build.id);
  if (!release) throw new CliError(`Build ${build.id} succeeded but made no release`, ExitCode.deployFailed);
  say(`Release v${release.version} made; rolling out`);
  const { app, endpoints } = await waitForRollout(client, options.app, release.version, options.timeout);
  const urls = [...(app.loadBalancerEndpoint ? [app.loadBalancerEndpoint] : []), ...endpoints];
  return { build: finished, release: release.version, app, urls };
}

/** Sends the archive in chunks, printing how much went out (a line per 10 %, or one line when piped). */
async function upload(client: BerthClient, app: string, archive: Buffer): Promise<Schemas['BuildView']> {
  let sent = 0;
  let lastTenth = -1;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= archive.length) return controller.close();
      const chunk = archive.subarray(sent, sent + UPLOAD_CHUNK_BYTES);
      sent += chunk.length;
      controller.enqueue(chunk);
      const tenth = Math.floor((sent / archive.length) * 10);
      if (tenth !== lastTenth) {
        lastTenth = tenth;
        say(
          `Uploading ${formatBytes(sent)} / ${formatBytes(archive.length)} (${Math.round((sent / archive.length) * 100)}%)`,
        );
      }
    },
  });
  const result = await client.POST('/v1/apps/{app}/builds', {
    params: { path: { app } },
    body: body as unknown as string,
    bodySerializer: (value: unknown) => value,
    headers: { 'content-type': 'application/gzip', 'content-length': String(archive.length) },
    // fetch needs this to send a stream as a request body.
    duplex: 'half',
  } as Parameters<BerthClient['POST']>[1]);
  if (!result.response.ok) throw problemError(result.response.status, result.error);
  return result.data as unknown as Schemas['BuildView'];
}

/** Prints the build log as it is written (NDJSON, the server holds the request until the build ends). */
export async function followBuildLog(client: BerthClient, app: string, id: string): Promise<void> {
  const result = await client.GET('/v1/apps/{app}/builds/{id}/log', {
    params: { path: { app, id } },
    headers: { accept: 'application/x-ndjson' },
    parseAs: 'stream',
  });
  if (!result.response.ok || !result.response.body) throw problemError(result.response.status, result.error);
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of result.response.body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) printBuildLine(line);
  }
  if (pending) printBuildLine(pending);
}

function printBuildLine(line: string): void {
  if (!line.trim()) return;
  const entry = JSON.parse(line) as { text?: string };
  if (typeof entry.text === 'string') process.stderr.write(`build | ${entry.text}\n`);
}

/** Longest single wait the API grants (GET /v1/apps/{app}/wait, `timeout` in ms). */
const MAX_WAIT_MS = 60_000;
/** The CLI's own wait per call: short enough to say it is still waiting. */
const WAIT_STEP_MS = 15_000;

/**
 * Waits until a web replica of release `version` answers (GET /v1/apps/{app}/wait: the API answers as
 * soon as it is decided, no polling), or the rollout fails (crash loop, failed health check, a newer
 * release), or `timeoutSeconds` pass. Returns the app and the release's own endpoints: the URLs printed
 * serve this release, while older replicas may still be draining.
 */
async function waitForRollout(
  client: BerthClient,
  app: string,
  version: number,
  timeoutSeconds: number,
): Promise<{ app: Schemas['AppView']; endpoints: string[] }> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const left = deadline - Date.now();
    const timeout = Math.max(1, Math.min(left, WAIT_STEP_MS, MAX_WAIT_MS));
    const answer = unwrap(
      await client.GET('/v1/apps/{app}/wait', {
        params: { path: { app }, query: { release: version, timeout } },
      }),
    );
    if (answer.outcome === 'ready') return { app: answer.app, endpoints: answer.endpoints };
    if (answer.outcome === 'failed')
      throw new CliError(
        `Rollout of v${version} failed: ${answer.reason ?? 'see berth logs'}`,
        ExitCode.deployFailed,
      );
    const { phase, statusReason } = answer.app;
    if (Date.now() >= deadline)
      throw new CliError(
        `Rollout of v${version} did not finish within ${timeoutSeconds}s (phase ${phase})`,
        ExitCode.deployFailed,
      );
    say(
      `App ${app}: ${phase}${statusReason ? ` (${statusReason})` : ''}; still waiting for v${version} to answer`,
    );
  }
}
