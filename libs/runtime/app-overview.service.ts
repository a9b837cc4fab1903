import { Inject, Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { Host } from '../hosts/index.js';
import type { Replica } from './replica.entity.js';
import { ReplicasRepository } from './replicas.repository.js';
import { type App, type Release, ReleasesService } from '../apps/index.js';

export interface ReplicaOverview {
  replica: Replica;
  host: Host | undefined;
  releaseVersion: number | null;
  endpoint: string | null;
}

export interface AppOverview {
  app: App;
  release: Release | null;
  replicas: ReplicaOverview[];
  /** URLs of the web replicas that accept connections. */
  endpoints: string[];
  /** The load balancer's URL when it runs. */
  loadBalancerEndpoint: string | null;
  /** Where the public reaches the app through the edge router (its default hostname, verified domains). */
  urls: string[];
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
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly replicas: ReplicasRepository,
    private readonly releases: ReleasesService,
    @Optional() @Inject(APP_URLS_READER) private readonly urls?: AppUrlsReader,
  ) {}

  async overview(app: App, options: { includeGone?: boolean } = {}): Promise<AppOverview> {
    const replicas = await this.replicas.ofApp(app.id, {
      includeGone: options.includeGone ?? false,
      limit: 200,
    });
    const [overview] = await this.assemble([app], replicas);
    return overview!;
  }

  /** Overviews of many apps (the app list) in three queries, whatever the number of apps. */
  async overviews(apps: App[]): Promise<AppOverview[]> {
    if (apps.length === 0) return [];
    const replicas = await this.replicas.liveOfApps(apps.map((a) => a.id));
    return this.assemble(apps, replicas);
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
