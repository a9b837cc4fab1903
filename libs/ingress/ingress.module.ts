import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/index.js';
import { AuditModule } from '../audit/index.js';
import { HostsModule } from '../hosts/index.js';
import { PlansModule } from '../plans/index.js';
import { RuntimeModule } from '../runtime/index.js';
import { AppDomainsRepository } from './app-domains.repository.js';
import { dnsServersFrom, dnsTxtLookup, TXT_LOOKUP } from './domain-verification.js';
import { DomainsService } from './domains.service.js';
import { EdgeRouter } from './edge-router.js';
import { IngressLoop } from './ingress-loop.js';
import { INGRESS_SETTINGS, ingressSettingsFrom } from './ingress-settings.js';

@Module({
  imports: [AppsModule, AuditModule, HostsModule, PlansModule, RuntimeModule],
  providers: [
    { provide: INGRESS_SETTINGS, useFactory: () => ingressSettingsFrom(process.env) },
    { provide: TXT_LOOKUP, useFactory: () => dnsTxtLookup(dnsServersFrom(process.env.BERTH_DNS_SERVERS)) },
    AppDomainsRepository,
    DomainsService,
    EdgeRouter,
    IngressLoop,
  ],
  exports: [INGRESS_SETTINGS, EdgeRouter, DomainsService],
})
export class IngressModule {}
