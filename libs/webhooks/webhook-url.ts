import { isIP } from 'node:net';

export const WEBHOOK_URL_MAX_LENGTH = 2000;

/**
 * Null when `raw` may be a webhook URL, else why not: https only (http to a loopback address when
 * allowed, for tests), no user:password, bounded length. Addresses are checked again at every delivery
 * (a name may resolve anywhere later), this only refuses what can never be right.
 */
export function webhookUrlProblem(raw: string, options: { allowLoopback: boolean }): string | null {
  if (raw.length > WEBHOOK_URL_MAX_LENGTH) return `url is longer than ${WEBHOOK_URL_MAX_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'url is not a URL';
  }
  if (url.username || url.password) return 'url must not carry a user name or password';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopbackHost =
    host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && options.allowLoopback && loopbackHost) return null;
  return 'url must be https';
}
