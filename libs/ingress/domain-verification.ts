import { Resolver } from 'node:dns/promises';
import net from 'node:net';

/** The TXT record a tenant publishes to prove it controls a hostname: `_berth-challenge.<hostname>`. */
export const CHALLENGE_LABEL = '_berth-challenge';

/** TXT records of a name (each record as its strings); [] when the name has none or does not exist. */
export type TxtLookup = (name: string) => Promise<string[][]>;

export const TXT_LOOKUP = Symbol('TXT_LOOKUP');

/**
 * TXT lookups through `servers` (BERTH_DNS_SERVERS, `ip` or `ip:port`, comma-separated), or the machine's
 * resolvers when unset. A name without TXT records, or that does not exist, is an empty answer; every
 * other failure (timeout, refused) is an error, so "could not ask" is never taken for "not there".
 */
export function dnsTxtLookup(servers: readonly string[]): TxtLookup {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (servers.length > 0) resolver.setServers([...servers]);
  return async (name) => {
    try {
      return await resolver.resolveTxt(name);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENODATA' || code === 'ENOTFOUND') return [];
      throw err;
    }
  };
}

/** BERTH_DNS_SERVERS as a list; throws at start on an entry that is not an IP (with an optional port). */
export function dnsServersFrom(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').map((entry) => {
    const server = entry.trim();
    const [address = '', port] = server.split(/:(?=\d+$)/);
    const portOk = port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
    if (net.isIPv4(address) && portOk) return server;
    if (net.isIPv6(server.replace(/^\[|\](:\d+)?$/g, ''))) return server;
    throw new Error(
      `BERTH_DNS_SERVERS: ${JSON.stringify(server)} is not an IP address with an optional port`,
    );
  });
}

/** Whether the TXT answer holds the token (a record may come split into several strings). */
export function holdsToken(records: readonly (readonly string[])[], token: string): boolean {
  return records.some((strings) => strings.join('').trim() === token);
}
