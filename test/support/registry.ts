import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { testRunId } from './docker.js';

const run = promisify(execFile);
const SCRIPT = path.resolve('scripts/registry.sh');

/** A registry of this test run (scripts/registry.sh on a free loopback port). */
export interface TestRegistry {
  /** "127.0.0.1:PORT", what BERTH_REGISTRY is set to. */
  address: string;
  port: number;
  /** Stops it and deletes its storage. */
  purge(): Promise<void>;
}

/** State of this run's registries lives under .data/test-registries/<run id>, which the sweep removes. */
export function testRegistriesDir(): string {
  return path.resolve('.data/test-registries', testRunId());
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startTestRegistry(): Promise<TestRegistry> {
  const port = await freePort();
  const env = { ...process.env, BERTH_DATA_DIR: testRegistriesDir() };
  const { stdout } = await run('bash', [SCRIPT, 'start', String(port)], { env, timeout: 120_000 });
  const address = stdout.trim();
  if (address !== `127.0.0.1:${port}`) throw new Error(`registry.sh start ${port} printed "${stdout}"`);
  return {
    address,
    port,
    purge: async () => {
      await run('bash', [SCRIPT, 'purge', String(port)], { env, timeout: 60_000 });
    },
  };
}
