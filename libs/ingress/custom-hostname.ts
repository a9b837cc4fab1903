import { isRoutableHostname } from './hostnames.js';

/**
 * Why a hostname cannot be a custom domain, or undefined when it can: a lower-case DNS name of at least
 * two labels, no wildcard (one hostname per domain: `*.example.com` would take names other tenants may
 * own), not the apps domain or a name under it (those are Berth's default hostnames).
 */
export function customHostnameProblem(hostname: string, appsDomain: string): string | undefined {
  if (hostname.startsWith('*.')) return 'wildcard domains are not supported: add each hostname';
  if (!isRoutableHostname(hostname)) return 'not a lower-case DNS name (letters, digits, dashes, dots)';
  if (!hostname.includes('.')) return 'a custom domain has at least two labels';
  if (hostname === appsDomain || hostname.endsWith(`.${appsDomain}`)) {
    return `names under ${appsDomain} are the platform's own`;
  }
  return undefined;
}
