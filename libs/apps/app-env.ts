import type { SecretBox } from '../crypto/index.js';

export type EnvVars = Record<string, string>;

/** Env names the platform sets itself; a tenant value would be ignored or break the PORT contract. */
export const RESERVED_ENV = new Set(['PORT', 'HOME', 'NODE_ENV', 'NODE_EXTRA_CA_CERTS']);

export function sealEnv(box: SecretBox, appId: string, env: EnvVars): string {
  return box.seal(JSON.stringify(env), `app-env:${appId}`);
}

export function openEnv(box: SecretBox, appId: string, sealed: string | null): EnvVars {
  return sealed ? (JSON.parse(box.open(sealed, `app-env:${appId}`)) as EnvVars) : {};
}

/** What a reader sees of a value: enough to recognise it, never the whole secret. */
export function maskValue(value: string): string {
  if (value.length >= 16) return `${'*'.repeat(8)}${value.slice(-4)}`;
  return '*'.repeat(8);
}
