import fs from 'node:fs';

/** ACME issuance settings, read once at start; unset BERTH_ACME_DIRECTORY_URL: ACME is off. */
export interface AcmeSettings {
  /** The CA's directory (BERTH_ACME_DIRECTORY_URL), e.g. Let's Encrypt's or a local pebble's. */
  directoryUrl: string;
  /** Contact of the account (BERTH_ACME_EMAIL); optional. */
  email: string | undefined;
  /** Extra CA certificates (PEM) to trust for the directory's HTTPS (BERTH_ACME_CA_FILE), e.g. pebble's. */
  caPem: string | undefined;
  /** Renew when fewer than this many days remain (BERTH_ACME_RENEW_BEFORE_DAYS, default 30). */
  renewBeforeDays: number;
  /** Failed attempts in a row before the loop gives up until asked again (BERTH_ACME_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** First retry delay, doubled per failure up to an hour (BERTH_ACME_RETRY_BASE_MS, default 60000). */
  retryBaseMs: number;
  /** Pause between two passes of the ACME loop (BERTH_ACME_INTERVAL_MS, default 30000). */
  intervalMs: number;
}

export const ACME_SETTINGS = Symbol('ACME_SETTINGS');

/** The settings, or undefined when no directory URL is set; a bad value stops the start. */
export function acmeSettingsFrom(env: NodeJS.ProcessEnv): AcmeSettings | undefined {
  const directoryUrl = env.BERTH_ACME_DIRECTORY_URL;
  if (!directoryUrl) return undefined;
  let url: URL;
  try {
    url = new URL(directoryUrl);
  } catch {
    throw new Error(`BERTH_ACME_DIRECTORY_URL ${JSON.stringify(directoryUrl)} is not a URL`);
  }
  if (url.protocol !== 'https:') throw new Error('BERTH_ACME_DIRECTORY_URL must be https (RFC 8555)');
  const email = env.BERTH_ACME_EMAIL || undefined;
  if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new Error(`BERTH_ACME_EMAIL ${JSON.stringify(email)} is not an email address`);
  }
  const caPem = env.BERTH_ACME_CA_FILE ? fs.readFileSync(env.BERTH_ACME_CA_FILE, 'utf8') : undefined;
  if (caPem !== undefined && !caPem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new Error(`BERTH_ACME_CA_FILE ${env.BERTH_ACME_CA_FILE} holds no PEM certificate`);
  }
  return {
    directoryUrl,
    email,
    caPem,
    renewBeforeDays: integer(env, 'BERTH_ACME_RENEW_BEFORE_DAYS', 30, 1, 365),
    maxAttempts: integer(env, 'BERTH_ACME_MAX_ATTEMPTS', 5, 1, 100),
    retryBaseMs: integer(env, 'BERTH_ACME_RETRY_BASE_MS', 60_000, 100, 86_400_000),
    intervalMs: integer(env, 'BERTH_ACME_INTERVAL_MS', 30_000, 100, 3_600_000),
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}`);
  }
  return value;
}
