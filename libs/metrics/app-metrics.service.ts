import { Injectable } from '@nestjs/common';
import { AppsService } from '../apps/index.js';
import type { Principal } from '../identity/index.js';
import {
  AGGREGATION,
  metricsRange,
  perReplicaSeries,
  summedSeries,
  type MetricSeries,
  type MetricsRange,
} from './metric-series.js';
import { ReplicaSamplesRepository } from './replica-samples.repository.js';

export interface AppMetricsQuery {
  from?: Date;
  to?: Date;
  stepSeconds?: number;
  /** A replica id (that replica only), `all` (one series per replica) or none (the replicas summed). */
  replica?: string;
}

export interface AppMetrics extends MetricsRange {
  app: string;
  replica: string | null;
  aggregation: typeof AGGREGATION;
  series: MetricSeries[];
}

@Injectable()
export class AppMetricsService {
  constructor(
    private readonly apps: AppsService,
    private readonly samples: ReplicaSamplesRepository,
  ) {}

  /** The app's resource series; another tenant's app is "not found". */
  async series(principal: Principal, appName: string, query: AppMetricsQuery): Promise<AppMetrics> {
    const app = await this.apps.get(principal, appName);
    const range = metricsRange(query, new Date());
    const single = query.replica !== undefined && query.replica !== 'all' ? query.replica : undefined;
    // A replica id of another app matches no sample of this one: an empty series, never its data.
    const buckets = await this.samples.bucketsOfApp({ appId: app.id, ...range, replicaId: single });
    return {
      app: app.name,
      ...range,
      replica: query.replica ?? null,
      aggregation: AGGREGATION,
      series: query.replica === undefined ? [summedSeries(buckets)] : perReplicaSeries(buckets),
    };
  }
}
