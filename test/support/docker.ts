import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { DockerEngine, type ContainerEngine, type LogLine } from '../../libs/engine/index.js';

/** The local engine the e2e tests use (override with BERTH_TEST_DOCKER, e.g. a pool host's socket). */
export const TEST_DOCKER_ENDPOINT = process.env.BERTH_TEST_DOCKER ?? 'unix:///var/run/docker.sock';
/** Built offline by scripts/build-base-images.sh (node + npm + sh, user 10001). */
export const RUNTIME_IMAGE = process.env.BERTH_TEST_RUNTIME_IMAGE ?? 'berth/node-runtime:local';
export const TEST_RUN_LABEL = 'berth.test-run';

/** This jest run's id (set by test/support/global-setup.mjs); it labels every Docker object tests make. */
export function testRunId(): string {
  const runId = process.env.BERTH_TEST_RUN;
  if (!runId)
    throw new Error('BERTH_TEST_RUN is not set: run the e2e tests through jest --selectProjects e2e');
  return runId;
}

/** A DockerEngine on the local engine that labels everything it creates with this run's id. */
export function testEngine(): DockerEngine {
  return new DockerEngine({ endpoint: TEST_DOCKER_ENDPOINT, extraLabels: { [TEST_RUN_LABEL]: testRunId() } });
}

/** Force-removes every container, network and image this run created. Call it in afterAll of every file. */
export async function cleanupTestRun(
  engine: ContainerEngine = testEngine(),
): Promise<{ containers: number; networks: number; images: number }> {
  return engine.removeLabelled({ label: `${TEST_RUN_LABEL}=${testRunId()}` });
}

/** Makes sure the runtime image exists, building it with scripts/build-base-images.sh when it does not. */
export async function ensureRuntimeImage(engine: ContainerEngine = testEngine()): Promise<string> {
  if (await engine.inspectImage({ ref: RUNTIME_IMAGE })) return RUNTIME_IMAGE;
  const script = path.resolve('scripts/build-base-images.sh');
  // Tests need no registry, so the script's HTTPS-to-npm check is skipped.
  await promisify(execFile)('bash', [script], {
    env: { ...process.env, BERTH_VERIFY_REGISTRY: '0' },
    timeout: 300_000,
  });
  if (!(await engine.inspectImage({ ref: RUNTIME_IMAGE })))
    throw new Error(`${script} did not build ${RUNTIME_IMAGE}`);
  return RUNTIME_IMAGE;
}

/** Polls `probe` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** All log lines of a container (not following). */
export async function collectLogs(engine: ContainerEngine, id: string): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of engine.containerLogs({ id, follow: false })) lines.push(line);
  return lines;
}

/** A short unique id for tenants, apps and names in one test (valid as a tenant id). */
export function uniqueId(prefix: string): string {
  return `${prefix}-${testRunId()}-${Math.random().toString(36).slice(2, 7)}`;
}
