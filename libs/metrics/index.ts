// The public entry of libs/metrics: other libs, apps/, test/, bench/ and scripts/ import only from here.
export { type AppMetrics, type AppMetricsQuery, AppMetricsService } from './app-metrics.service.js';
export { METRICS_ENTITIES } from './entities.js';
export { LiveMetrics, type LiveMetricsMessage, liveMessage } from './live-metrics.js';
export {
  AGGREGATION,
  DEFAULT_RANGE_SECONDS,
  DEFAULT_STEP_SECONDS,
  MAX_POINTS,
  type MetricPoint,
  type MetricSeries,
  type MetricsRange,
  type ReplicaBucket,
  metricsRange,
  perReplicaSeries,
  summedSeries,
} from './metric-series.js';
export { MetricsLoop } from './metrics-loop.js';
export { MetricsModule } from './metrics.module.js';
export { type SamplePassReport, MetricsSampler } from './metrics-sampler.js';
export { MetricsSamplingModule } from './metrics-sampling.module.js';
export { PlatformMetrics } from './platform-metrics.js';
export { ReplicaSample } from './replica-sample.entity.js';
export { ReplicaSamplesRepository } from './replica-samples.repository.js';
export { type PreviousReading, type SampledReplica, type SampleValues, sampleFrom } from './sample-deltas.js';
