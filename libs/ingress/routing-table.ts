import net from 'node:net';
import type { AppDomain } from './app-domain.entity.js';
import { defaultHostname } from './hostnames.js';
import type { RouterRoute, RouterServer } from './router-config.js';

/** The rows the routing table is made of (as the apps, tenants, replicas and hosts tables hold them). */
export interface RoutingRows {
  apps: readonly {
    id: string;
    name: string;
    tenantId: string;
    desiredState: string;
    deletingAt: Date | null;
    sleepAfterIdleSeconds: number | null;
    sleepingSince: Date | null;
  }[];
  tenantNames: ReadonlyMap<string, string>;
  /** Replicas in state `running` with a published port. */
  replicas: readonly { id: string; appId: string; role: string; hostId: string; hostPort: number | null }[];
  hosts: readonly { id: string; publicAddress: string }[];
  /** Verified custom domains (PostgreSQL keeps each hostname verified for one app at most). */
  domains: readonly Pick<AppDomain, 'appId' | 'hostname'>[];
}

/**
 * What the router on `routerHostId` routes, as a pure function of the rows: every app by its default
 * hostname and its verified custom domains; its servers are its balancer when one is serving (the
 * balancer spreads and drains), else its running web replicas, each at its host's public address and
 * published port. A server on another host whose public address is loopback is left out: this router
 * cannot reach it. An app that may sleep (scale to zero) and has no server up, asleep or waking, is
 * served by the `waker` (AppWaker), which wakes it and holds its requests until a replica answers.
 */
export function routingTable(
  rows: RoutingRows,
  options: { routerHostId: string; appsDomain: string; waker?: RouterServer },
): RouterRoute[] {
  const hosts = new Map(rows.hosts.map((host) => [host.id, host]));
  const serversOf = new Map<string, { lb: RouterServer[]; web: RouterServer[] }>();
  for (const replica of rows.replicas) {
    const host = hosts.get(replica.hostId);
    if (!host || replica.hostPort === null) continue;
    if (replica.hostId !== options.routerHostId && isLoopback(host.publicAddress)) continue;
    const entry = serversOf.get(replica.appId) ?? { lb: [], web: [] };
    const server = { name: `r-${replica.id}`, address: host.publicAddress, port: replica.hostPort };
    (replica.role === 'lb' ? entry.lb : entry.web).push(server);
    serversOf.set(replica.appId, entry);
  }
  const domainsOf = new Map<string, string[]>();
  for (const domain of rows.domains) {
    domainsOf.set(domain.appId, [...(domainsOf.get(domain.appId) ?? []), domain.hostname]);
  }
  return rows.apps.map((app) => {
    const servers = serversOf.get(app.id);
    const hostnames = [
      defaultHostname({
        appName: app.name,
        tenantId: app.tenantId,
        tenantName: rows.tenantNames.get(app.tenantId) ?? '',
        appsDomain: options.appsDomain,
      }),
      ...(domainsOf.get(app.id) ?? []),
    ];
    const up = app.sleepingSince ? [] : servers && servers.lb.length > 0 ? servers.lb : (servers?.web ?? []);
    const wakes = up.length === 0 && app.sleepAfterIdleSeconds !== null && options.waker !== undefined;
    return {
      appId: app.id,
      hostnames,
      serving: app.desiredState === 'running' && app.deletingAt === null,
      servers: wakes ? [options.waker!] : up,
    };
  });
}

function isLoopback(address: string): boolean {
  return net.isIPv4(address) ? address.startsWith('127.') : address === '::1';
}
