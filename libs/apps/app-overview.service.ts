import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, Not } from 'typeorm';
import { Host } from '../hosts/host.entity.js';
import { Replica } from '../runtime/replica.entity.js';
import type { App } from './app.entity.js';
import { Release } from './release.entity.js';

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
}

/** The read side of an app: its release, its containers and where they answer. */
@Injectable()
export class AppOverviewService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async overview(app: App, options: { includeGone?: boolean } = {}): Promise<AppOverview> {
    const replicas = await this.dataSource.getRepository(Replica).find({
      where: { appId: app.id, ...(options.includeGone ? {} : { state: Not('gone') }) },
      order: { createdAt: 'ASC' },
      take: 200,
    });
    const hosts = await this.dataSource
      .getRepository(Host)
      .find({ where: { id: In([...new Set(replicas.map((r) => r.hostId))]) } });
    const releases = await this.dataSource.getRepository(Release).find({
      where: {
        id: In([
          ...new Set(replicas.map((r) => r.releaseId).filter((id): id is string => !!id)),
          app.currentReleaseId ?? '00000000-0000-0000-0000-000000000000',
        ]),
      },
    });
    const hostById = new Map(hosts.map((h) => [h.id, h]));
    const releaseById = new Map(releases.map((r) => [r.id, r]));
    const views = replicas.map((replica) => {
      const host = hostById.get(replica.hostId);
      const live = replica.state === 'running' || replica.state === 'starting';
      return {
        replica,
        host,
        releaseVersion: replica.releaseId ? (releaseById.get(replica.releaseId)?.version ?? null) : null,
        endpoint:
          live && host && replica.hostPort ? `http://${host.publicAddress}:${replica.hostPort}` : null,
      };
    });
    const lb = views.find((v) => v.replica.role === 'lb' && v.replica.state === 'running');
    return {
      app,
      release: app.currentReleaseId ? (releaseById.get(app.currentReleaseId) ?? null) : null,
      replicas: views,
      endpoints: views
        .filter((v) => v.replica.role === 'web' && v.replica.state === 'running' && v.endpoint)
        .map((v) => v.endpoint!),
      loadBalancerEndpoint: lb?.endpoint ?? null,
    };
  }
}
