import type { SecretBox } from '../crypto/index.js';

export type EnvVars = Record<string, string>;

/** Env names the platform sets itself; a tenant value would be ignored or break the PORT contract. */
export const RESERVED_ENV = new Set(['PORT', 'HOME', 'NODE_ENV', 'NODE_EXTRA_CA_CERTS']);
/** Names under this prefix are the platform's, now or later. */
export const RESERVED_ENV_PREFIX = 'BERTH_';
/** POSIX portable names: what every shell and `docker run -e` accept. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const ENV_LIMITS = {
  maxVars: 200,
  maxNameChars: 256,
  maxValueBytes: 32 * 1024,
  maxTotalBytes: 128 * 1024,
};

/**
 * What is wrong with a set of env vars, one entry per fault (empty: fine). Checked at the API edge, so a
 * bad name or value is a 400 now and never a failed container create later.
 */
export function envVarFaults(vars: unknown): { field: string; message: string }[] {
  if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) {
    return [{ field: 'vars', message: 'vars must be an object of name → string value' }];
  }
  const entries = Object.entries(vars as Record<string, unknown>);
  const faults: { field: string; message: string }[] = [];
  if (entries.length > ENV_LIMITS.maxVars) {
    faults.push({ field: 'vars', message: `at most ${ENV_LIMITS.maxVars} env vars` });
  }
  let totalBytes = 0;
  for (const [name, value] of entries.slice(0, ENV_LIMITS.maxVars + 1)) {
    const field = `vars.${name.slice(0, 64)}`;
    if (name.length > ENV_LIMITS.maxNameChars || !ENV_NAME_PATTERN.test(name)) {
      faults.push({
        field,
        message: `env var names are letters, digits and _, not starting with a digit (at most ${ENV_LIMITS.maxNameChars})`,
      });
    } else if (RESERVED_ENV.has(name) || name.startsWith(RESERVED_ENV_PREFIX)) {
      faults.push({ field, message: `${name} is set by the platform` });
    }
    if (typeof value !== 'string') {
      faults.push({ field, message: 'env var values are strings' });
      continue;
    }
    if (value.includes('\0')) faults.push({ field, message: 'env var values cannot hold NUL' });
    const bytes = Buffer.byteLength(value);
    if (bytes > ENV_LIMITS.maxValueBytes) {
      faults.push({ field, message: `an env var value holds at most ${ENV_LIMITS.maxValueBytes} bytes` });
    }
    totalBytes += bytes + Buffer.byteLength(name);
  }
  if (totalBytes > ENV_LIMITS.maxTotalBytes) {
    faults.push({ field: 'vars', message: `env vars hold at most ${ENV_LIMITS.maxTotalBytes} bytes in all` });
  }
  return faults;
}

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
