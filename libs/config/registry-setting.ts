import path from 'node:path';

/** A registry Berth pushes images to, as configured by BERTH_REGISTRY. */
export interface RegistrySettings {
  /** What engines are told: "host:port" with an optional path prefix ("host:port/berth"). */
  address: string;
  /** Where Berth itself calls the registry's HTTP API ("http://host:port" or "https://host:port"). */
  apiBase: string;
  /** The registry's token auth, with Berth as its token service; unset: an anonymous registry. */
  token?: RegistryTokenSettings;
}

/**
 * docker distribution's `auth: token`: the registry trusts the certificate of `keyFile`'s key and accepts
 * JWTs signed with it whose issuer and audience (the registry's `service`) match.
 */
export interface RegistryTokenSettings {
  /** PEM private key (EC P-256 or RSA) whose certificate is the registry's `rootcertbundle`. */
  keyFile: string;
  issuer: string;
  service: string;
}

export const DEFAULT_REGISTRY_TOKEN_ISSUER = 'berth';
export const DEFAULT_REGISTRY_SERVICE = 'berth-registry';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/**
 * BERTH_REGISTRY_TOKEN_KEY (path of the signing key), BERTH_REGISTRY_TOKEN_ISSUER, BERTH_REGISTRY_SERVICE:
 * undefined without a key; a key without a registry, or a malformed name, is refused.
 */
export function parseRegistryTokenSetting(
  registry: RegistrySettings | undefined,
  env: { keyFile?: string; issuer?: string; service?: string },
): RegistryTokenSettings | undefined {
  if (!env.keyFile) return undefined;
  if (!registry) throw new Error('BERTH_REGISTRY_TOKEN_KEY is set but BERTH_REGISTRY is not');
  const issuer = env.issuer || DEFAULT_REGISTRY_TOKEN_ISSUER;
  const service = env.service || DEFAULT_REGISTRY_SERVICE;
  for (const [name, value] of [
    ['BERTH_REGISTRY_TOKEN_ISSUER', issuer],
    ['BERTH_REGISTRY_SERVICE', service],
  ] as const) {
    if (!NAME.test(value)) throw new Error(`${name} must be letters, digits and . _ : - (got "${value}")`);
  }
  return { keyFile: path.resolve(env.keyFile), issuer, service };
}

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/;
const REGISTRY_VALUE = /^(?:(https?):\/\/)?([a-z0-9.-]+(?::\d{1,5})?)((?:\/[a-z0-9._-]+)*)\/?$/i;

/**
 * Parses BERTH_REGISTRY: "[http(s)://]host[:port][/prefix]". Without a scheme, a loopback registry is
 * spoken to over http (as every Docker Engine does for 127.0.0.0/8) and any other over https.
 * Returns undefined for an empty value; throws with the reason for a malformed one.
 */
export function parseRegistrySetting(value: string | undefined): RegistrySettings | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const match = REGISTRY_VALUE.exec(value.trim());
  if (!match) {
    throw new Error(
      `BERTH_REGISTRY must look like host:port or host:port/prefix (optionally with http:// or https://), got "${value}"`,
    );
  }
  const [, scheme, host = '', prefix = ''] = match;
  // Docker reads a first name part without a dot or port as a Docker Hub namespace, not a registry.
  if (!host.includes('.') && !host.includes(':') && host.toLowerCase() !== 'localhost') {
    throw new Error(
      `BERTH_REGISTRY host "${host}" needs a dot or a port (e.g. ${host}:5000), or engines would read it as a Docker Hub namespace`,
    );
  }
  const protocol = scheme?.toLowerCase() ?? (LOOPBACK_HOST.test(host) ? 'http' : 'https');
  return {
    address: `${host.toLowerCase()}${prefix.toLowerCase()}`,
    apiBase: `${protocol}://${host.toLowerCase()}`,
  };
}
