import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseRegistrySetting, type RegistrySettings } from '../../libs/config/index.js';
import type { RegistryAuthorizer } from '../../libs/engine/index.js';
import { RegistryTokenSigner } from '../../libs/hosts/index.js';
import { testRunId } from './docker.js';
import { freePort } from './ports.js';

const run = promisify(execFile);
const SCRIPT = path.resolve('scripts/registry.sh');

/** A registry of this test run (scripts/registry.sh on a free loopback port). */
export interface TestRegistry {
  /** "127.0.0.1:PORT", what BERTH_REGISTRY is set to. */
  address: string;
  port: number;
  /** Its token signing key (what BERTH_REGISTRY_TOKEN_KEY is set to). */
  tokenKey: string;
  /** BERTH_REGISTRY with its token auth, as loadConfig would read them. */
  settings: RegistrySettings;
  /** Signs tokens as Berth's control plane does (for engine calls made by a test directly). */
  authorize: RegistryAuthorizer;
  /** Starts it again on its port with the same key and storage, sending docker clients to `realm` for tokens. */
  restart(options: { realm: string }): Promise<void>;
  /** Stops it and deletes its storage. */
  purge(): Promise<void>;
}

/** State of this run's registries lives under .data/test-registries/<run id>, which the sweep removes. */
export function testRegistriesDir(): string {
  return path.resolve('.data/test-registries', testRunId());
}

export async function startTestRegistry(): Promise<TestRegistry> {
  const port = await freePort();
  const env = { ...process.env, BERTH_DATA_DIR: testRegistriesDir() };
  const { stdout } = await run('bash', [SCRIPT, 'start', String(port)], { env, timeout: 120_000 });
  const address = stdout.trim();
  if (address !== `127.0.0.1:${port}`) throw new Error(`registry.sh start ${port} printed "${stdout}"`);
  const tokenKey = (await run('bash', [SCRIPT, 'token-key', String(port)], { env })).stdout.trim();
  const token = { keyFile: tokenKey, issuer: 'berth', service: 'berth-registry' };
  const signer = RegistryTokenSigner.fromPemFile(() => fs.readFileSync(tokenKey), tokenKey, token);
  return {
    address,
    port,
    tokenKey,
    settings: { ...parseRegistrySetting(address)!, token },
    authorize: (access) => signer.sign({ subject: 'test', access, ttlSeconds: 600 }),
    restart: async ({ realm }) => {
      await run('bash', [SCRIPT, 'stop', String(port)], { env, timeout: 60_000 });
      await run('bash', [SCRIPT, 'start', String(port)], {
        env: { ...env, BERTH_REGISTRY_REALM: realm },
        timeout: 120_000,
      });
    },
    purge: async () => {
      await run('bash', [SCRIPT, 'purge', String(port)], { env, timeout: 60_000 });
    },
  };
}
