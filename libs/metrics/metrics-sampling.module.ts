import { Module } from '@nestjs/common';
import { HostsModule } from '../hosts/index.js';
import { RuntimeModule } from '../runtime/index.js';
import { MetricsLoop } from './metrics-loop.js';
import { MetricsSampler } from './metrics-sampler.js';
import { ReplicaSamplesRepository } from './replica-samples.repository.js';

/** The sampler and its loop, in every process that runs loops (the api by default, the worker). */
@Module({
  imports: [RuntimeModule, HostsModule],
  providers: [ReplicaSamplesRepository, MetricsSampler, MetricsLoop],
  exports: [ReplicaSamplesRepository, MetricsSampler, MetricsLoop],
})
export class MetricsSamplingModule {}
