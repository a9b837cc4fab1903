import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/index.js';
import { HostsModule } from '../hosts/index.js';
import { RuntimeModule } from '../runtime/index.js';
import { EdgeRouter } from './edge-router.js';
import { IngressLoop } from './ingress-loop.js';
import { INGRESS_SETTINGS, ingressSettingsFrom } from './ingress-settings.js';

@Module({
  imports: [AppsModule, HostsModule, RuntimeModule],
  providers: [
    { provide: INGRESS_SETTINGS, useFactory: () => ingressSettingsFrom(process.env) },
    EdgeRouter,
    IngressLoop,
  ],
  exports: [INGRESS_SETTINGS, EdgeRouter],
})
export class IngressModule {}
