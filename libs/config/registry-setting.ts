/** A registry Berth pushes images to, as configured by BERTH_REGISTRY. */
export interface RegistrySettings {
  /** What engines are told: "host:port" with an optional path prefix ("host:port/berth"). */
  address: string;
  /** Where Berth itself calls the registry's HTTP API ("http://host:port" or "https://host:port"). */
  apiBase: string;
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
