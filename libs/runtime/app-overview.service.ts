import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { EntityColumns } from '../db/index.js';
import { Host } from '../hosts/index.js';
import type { Replica } from './replica.entity.js';
import { ReplicasRepository } from './replicas.repository.js';
import { type AppListRow, type AppSummary, summarizeAppListRows } from './app-list-rows.js';
import { App, Release, ReleasesService } from '../apps/index.js';

export interface ReplicaOverview {
  replica: Replica;
  host: Host | undefined;
  releaseVersion: number | null;
  endpoint: string | null;
}

export interface AppOverview extends AppSummary {
  replicas: ReplicaOverview[];
}

/**
 * The port through which the edge router (libs/ingress, above this lib) tells the app's public URLs;
 * absent when no router is configured in the process.
 */
export interface AppUrlsReader {
  urlsOf(apps: App[]): Promise<Map<string, string[]>>;
}
export const APP_URLS_READER = Symbol('APP_URLS_READER');

/** The read side of an app: its release, its containers and where they answer. */
@Injectable()
export class AppOverviewService {
  private readonly appColumns: EntityColumns<App>;
  private readonly releaseColumns: EntityColumns<Release>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly replicas: ReplicasRepository,
    private readonly releases: ReleasesService,
    @Optional() @Inject(APP_URLS_READER) private readonly urls?: AppUrlsReader,
  ) {
    this.appColumns = new EntityColumns(dataSource, App, 'a');
    this.releaseColumns = new EntityColumns(dataSource, Release, 'r');
  }

  /**
   * The tenant's apps (not being deleted) by name, each with its current release and endpoints, in one
   * statement: the list is what clients poll. Only running replicas give endpoints, so only they are
   * joined, oldest first as in overview(); the edge router's URLs come from its reader as there.
   */
  async listOfTenant(tenantId: string): Promise<AppSummary[]> {
    const rows = (await this.dataSource.query(
      `SELECT ${this.appColumns.select}, ${this.releaseColumns.select},
              p.role AS "p.role", p.host_port AS "p.hostPort", h.public_address AS "h.publicAddress"
         FROM apps a
         LEFT JOIN releases r ON r.id = a.current_release_id
         LEFT JOIN replicas p ON p.app_id = a.id AND p.state = 'running'
         LEFT JOIN hosts h ON h.id = p.host_id
        WHERE a.tenant_id = $1 AND a.deleting_at IS NULL
        ORDER BY a.name, p.created_at, p.id`,
      [tenantId],
    )) as AppListRow[];
    const summaries = summarizeAppListRows(rows, {
      app: (row) => this.appColumns.hydrate(row)!,
      release: (row) => this.releaseColumns.hydrate(row),
    });
    if (summaries.length > 0 && this.urls) {
      const urlsByApp = await this.urls.urlsOf(summaries.map((summary) => summary.app));
      for (const summary of summaries) summary.urls = urlsByApp.get(summary.app.id) ?? [];
    }
    return summaries;
  }

  async overview(app: App, options: { includeGone?: boolean } = {}): Promise<AppOverview> {
    const replicas = await this.replicas.ofApp(app.id, {
      includeGone: options.includeGone ?? false,
      limit: 200,
    });
    const [overview] = await this.assemble([app], replicas);
    return overview!;
  }

  private async assemble(apps: App[], replicas: Replica[]): Promise<AppOverview[]> {
    const hostIds = [...new Set(replicas.map((r) => r.hostId))];
    // Apps with no replica (created, stopped, never built) need no host row: no statement for nothing.
    const hosts =
      hostIds.length === 0
        ? []
        : await this.dataSource.getRepository(Host).find({ where: { id: In(hostIds) } });
    const releaseIds = new Set(replicas.map((r) => r.releaseId).filter((id): id is string => !!id));
    for (const app of apps) if (app.currentReleaseId) releaseIds.add(app.currentReleaseId);
    const releases = await this.releases.byIds([...releaseIds]);
    const hostById = new Map(hosts.map((h) => [h.id, h]));
    const releaseById = new Map(releases.map((r) => [r.id, r]));
    const urlsByApp = (await this.urls?.urlsOf(apps)) ?? new Map<string, string[]>();
    const viewsByApp = new Map<string, ReplicaOverview[]>();
    for (const replica of replicas) {
      const host = hostById.get(replica.hostId);
      const live = replica.state === 'running' || replica.state === 'starting';
      const view = {
        replica,
        host,
        releaseVersion: replica.releaseId ? (releaseById.get(replica.releaseId)?.version ?? null) : null,
        endpoint:
          live && host && replica.hostPort ? `http://${host.publicAddress}:${replica.hostPort}` : null,
      };
      viewsByApp.set(replica.appId, [...(viewsByApp.get(replica.appId) ?? []), view]);
    }
    return apps.map((app) => {
      const views = viewsByApp.get(app.id) ?? [];
      const lb = views.find((v) => v.replica.role === 'lb' && v.replica.state === 'running');
      return {
        app,
        release: app.currentReleaseId ? (releaseById.get(app.currentReleaseId) ?? null) : null,
        replicas: views,
        endpoints: views
          .filter((v) => v.replica.role === 'web' && v.replica.state === 'running' && v.endpoint)
          .map((v) => v.endpoint!),
        loadBalancerEndpoint: lb?.endpoint ?? null,
        urls: urlsByApp.get(app.id) ?? [],
      };
    });
  }
}
