import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/index.js';
import { HostsModule } from '../hosts/index.js';
import { LogsModule } from '../logs/index.js';
import { RuntimeModule } from '../runtime/index.js';
import { AppMetricsService } from './app-metrics.service.js';
import { LiveMetrics } from './live-metrics.js';
import { MetricsSamplingModule } from './metrics-sampling.module.js';
import { PlatformMetrics } from './platform-metrics.js';

/** The API's side: tenants' series and live samples, the operators' Prometheus text, over the sampling module. */
@Module({
  imports: [MetricsSamplingModule, AppsModule, HostsModule, LogsModule, RuntimeModule],
  providers: [AppMetricsService, PlatformMetrics, LiveMetrics],
  exports: [AppMetricsService, PlatformMetrics, LiveMetrics, MetricsSamplingModule],
})
export class MetricsModule {}
