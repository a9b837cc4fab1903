import fs from 'node:fs';
import net from 'node:net';
import { checkCertificate } from './certificate-check.js';
import { isRoutableHostname } from './hostnames.js';

/** The edge router's settings, read once at start from the environment; a bad value stops the start. */
export interface IngressSettings {
  /** Whether this process runs the router sync loop (it runs only where the control loops run). */
  enabled: boolean;
  /** Address the router listens on, on every pool host (BERTH_INGRESS_ADDRESS). */
  address: string;
  /** Its HTTP port (BERTH_INGRESS_HTTP_PORT, default 80). */
  httpPort: number;
  /** Its HTTPS port (BERTH_INGRESS_HTTPS_PORT); unset: no HTTPS listener. */
  httpsPort: number | undefined;
  /**
   * The apps domain's wildcard certificate, chain + key PEM in one file (BERTH_APPS_CERT_FILE), checked
   * at start: it must cover `<name>.<appsDomain>` and be valid now. Served for every default hostname.
   */
  appsDomainCertificate: string | undefined;
  /** Every app answers at `<app>-<tenant>.<appsDomain>` (BERTH_APPS_DOMAIN, default localhost). */
  appsDomain: string;
  /** Pause between two syncs of the routers with the database (BERTH_INGRESS_SYNC_MS). */
  syncIntervalMs: number;
  /**
   * Where the routers reach this process's waker (AppWaker) for sleeping apps: it listens there
   * (BERTH_WAKE_ADDRESS, default 127.0.0.1, which routers on this machine reach: they use the host's
   * network) on BERTH_WAKE_PORT (default 0: any free port, rendered into the routers' configuration).
   */
  wakeAddress: string;
  wakePort: number;
}

export const INGRESS_SETTINGS = Symbol('INGRESS_SETTINGS');

/**
 * The router is on when BERTH_INGRESS=on, or when BERTH_INGRESS_HTTP_PORT is set; off by default, so a
 * development machine (or a test) never finds port 80 taken by a container it did not ask for.
 */
export function ingressSettingsFrom(env: NodeJS.ProcessEnv): IngressSettings {
  const address = env.BERTH_INGRESS_ADDRESS || '127.0.0.1';
  if (net.isIP(address) === 0)
    throw new Error(`BERTH_INGRESS_ADDRESS ${JSON.stringify(address)} is not an IP`);
  const appsDomain = (env.BERTH_APPS_DOMAIN || 'localhost').toLowerCase();
  if (!isRoutableHostname(appsDomain)) {
    throw new Error(`BERTH_APPS_DOMAIN ${JSON.stringify(appsDomain)} is not a DNS name`);
  }
  const switched = env.BERTH_INGRESS ?? '';
  if (!['', 'on', 'off'].includes(switched)) throw new Error('BERTH_INGRESS must be on or off');
  const wakeAddress = env.BERTH_WAKE_ADDRESS || '127.0.0.1';
  if (net.isIP(wakeAddress) === 0)
    throw new Error(`BERTH_WAKE_ADDRESS ${JSON.stringify(wakeAddress)} is not an IP`);
  const httpsPort = env.BERTH_INGRESS_HTTPS_PORT
    ? integer(env, 'BERTH_INGRESS_HTTPS_PORT', 443, 1, 65535)
    : undefined;
  return {
    enabled: switched === 'on' || (switched === '' && !!env.BERTH_INGRESS_HTTP_PORT),
    address,
    httpPort: integer(env, 'BERTH_INGRESS_HTTP_PORT', 80, 1, 65535),
    httpsPort,
    appsDomainCertificate: env.BERTH_APPS_CERT_FILE
      ? appsDomainCertificateFrom(env.BERTH_APPS_CERT_FILE, appsDomain)
      : undefined,
    appsDomain,
    syncIntervalMs: integer(env, 'BERTH_INGRESS_SYNC_MS', 1000, 100, 60_000),
    wakeAddress,
    wakePort: integer(env, 'BERTH_WAKE_PORT', 0, 0, 65535),
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

/** The file's chain and key, normalised, once checkCertificate passes for a name under the apps domain. */
function appsDomainCertificateFrom(file: string, appsDomain: string): string {
  const pem = fs.readFileSync(file, 'utf8');
  const key = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----[\s\S]+?-----END (?:[A-Z]+ )?PRIVATE KEY-----/.exec(
    pem,
  )?.[0];
  if (!key) throw new Error(`BERTH_APPS_CERT_FILE ${file} holds no private key`);
  try {
    const checked = checkCertificate({
      certificatePem: pem.replace(key, ''),
      privateKeyPem: key,
      hostname: `app.${appsDomain}`,
      now: new Date(),
    });
    return `${checked.chainPem.trim()}\n${checked.keyPem.trim()}\n`;
  } catch (err) {
    throw new Error(`BERTH_APPS_CERT_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
}
