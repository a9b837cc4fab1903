import type { App, Release } from '../apps/index.js';

/** What the app list shows of an app: its overview without the replicas themselves. */
export interface AppSummary {
  app: App;
  release: Release | null;
  /** URLs of the web replicas that accept connections. */
  endpoints: string[];
  /** The load balancer's URL when it runs. */
  loadBalancerEndpoint: string | null;
  /** Where the public reaches the app through the edge router (its default hostname, verified domains). */
  urls: string[];
}

/** A row of the app list's statement: an app, its current release, and one running replica or none. */
export type AppListRow = Record<string, unknown> & {
  'a.id': string;
  'p.role': string | null;
  'p.hostPort': number | null;
  'h.publicAddress': string | null;
};

/**
 * Folds the app list's rows (ordered by app, then replica age) into summaries, with the rules of
 * AppOverviewService.assemble(): a running web replica with a host and a port is an endpoint; the oldest
 * running balancer gives the balancer endpoint, or none while its port is unknown. URLs are left empty.
 */
export function summarizeAppListRows(
  rows: AppListRow[],
  hydrate: { app: (row: AppListRow) => App; release: (row: AppListRow) => Release | null },
): AppSummary[] {
  const summaries: AppSummary[] = [];
  let current: AppSummary | undefined;
  let balancerSeen = false;
  for (const row of rows) {
    if (!current || current.app.id !== row['a.id']) {
      current = {
        app: hydrate.app(row),
        release: hydrate.release(row),
        endpoints: [],
        loadBalancerEndpoint: null,
        urls: [],
      };
      summaries.push(current);
      balancerSeen = false;
    }
    const address = row['h.publicAddress'];
    const port = row['p.hostPort'];
    const endpoint = address !== null && port ? `http://${address}:${port}` : null;
    if (row['p.role'] === 'web' && endpoint) current.endpoints.push(endpoint);
    if (row['p.role'] === 'lb' && !balancerSeen) {
      balancerSeen = true;
      current.loadBalancerEndpoint = endpoint;
    }
  }
  return summaries;
}
