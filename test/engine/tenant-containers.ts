import {
  type ContainerEngine,
  type HardenedContainerInput,
  hardenedContainerSpec,
  tenantNetworkName,
} from '../../libs/engine/index.js';
import { RUNTIME_IMAGE, collectLogs, uniqueId } from '../support/docker.js';

/** Test helpers: tenant containers made the only way production makes them, through hardenedContainerSpec. */

export type TenantContainerOptions = Partial<Omit<HardenedContainerInput, 'tenantId'>> & { tenantId: string };

export async function createTenantContainer(
  engine: ContainerEngine,
  options: TenantContainerOptions,
): Promise<string> {
  const { tenantId } = options;
  await engine.ensureNetwork({ name: tenantNetworkName(tenantId), labels: { 'berth.tenant': tenantId } });
  const spec = hardenedContainerSpec({
    appId: uniqueId('app'),
    appName: 'probe',
    releaseVersion: 1,
    role: 'web',
    instance: 'r0',
    image: RUNTIME_IMAGE,
    env: {},
    plan: { memoryMb: 128, cpuMillis: 500 },
    ...options,
  });
  const { id } = await engine.createContainer(spec);
  return id;
}

export async function startTenantContainer(
  engine: ContainerEngine,
  options: TenantContainerOptions,
): Promise<string> {
  const id = await createTenantContainer(engine, options);
  await engine.startContainer({ id });
  return id;
}

/** Runs `node -e script` in a tenant container until it exits; the script's last stdout line is JSON. */
export async function runNodeProbe<T>(
  engine: ContainerEngine,
  options: TenantContainerOptions & { script: string },
): Promise<{ id: string; exitCode: number; result: T; stderr: string[] }> {
  const { script, ...rest } = options;
  const id = await startTenantContainer(engine, { ...rest, cmd: ['node', '-e', script] });
  const { exitCode } = await engine.waitContainer({ id });
  const lines = await collectLogs(engine, id);
  const stdout = lines.filter((line) => line.stream === 'stdout').map((line) => line.text);
  const stderr = lines.filter((line) => line.stream === 'stderr').map((line) => line.text);
  const last = stdout.at(-1);
  if (last === undefined) throw new Error(`probe printed nothing (exit ${exitCode}): ${stderr.join('\n')}`);
  return { id, exitCode, result: JSON.parse(last) as T, stderr };
}
