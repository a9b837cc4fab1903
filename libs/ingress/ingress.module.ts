import { Global, Module } from '@nestjs/common';
import { AppsModule } from '../apps/index.js';
import { AuditModule } from '../audit/index.js';
import { HostsModule } from '../hosts/index.js';
import { MeteringModule } from '../metering/index.js';
import { PlansModule } from '../plans/index.js';
import { APP_URLS_READER, RuntimeModule } from '../runtime/index.js';
import { AcmeIssuer } from './acme-issuer.js';
import { AppWaker } from './app-waker.js';
import { AcmeLoop } from './acme-loop.js';
import { ACME_SETTINGS, acmeSettingsFrom } from './acme-settings.js';
import { AcmeRepository } from './acme.repository.js';
import { AppUrls } from './app-urls.js';
import { AppDomainsRepository } from './app-domains.repository.js';
import { dnsServersFrom, dnsTxtLookup, TXT_LOOKUP } from './domain-verification.js';
import { DomainsService } from './domains.service.js';
import { EdgeRouter } from './edge-router.js';
import { IngressLoop } from './ingress-loop.js';
import { INGRESS_SETTINGS, ingressSettingsFrom } from './ingress-settings.js';
import { RouterLogs } from './router-logs.js';
import { RouterTrafficCollector } from './router-traffic.js';
import { SleepLoop } from './sleep-loop.js';
import { WakerEndpoint } from './waker-endpoint.js';

/**
 * Global so the runtime's app overview receives APP_URLS_READER (the port it defines, AppUrls here), and
 * the app logs RouterLogs (optional there: without this module an app's log has no router lines).
 */
@Global()
@Module({
  imports: [AppsModule, AuditModule, HostsModule, MeteringModule, PlansModule, RuntimeModule],
  providers: [
    { provide: INGRESS_SETTINGS, useFactory: () => ingressSettingsFrom(process.env) },
    { provide: TXT_LOOKUP, useFactory: () => dnsTxtLookup(dnsServersFrom(process.env.BERTH_DNS_SERVERS)) },
    { provide: ACME_SETTINGS, useFactory: () => acmeSettingsFrom(process.env) },
    AppDomainsRepository,
    AcmeRepository,
    AcmeIssuer,
    AcmeLoop,
    AppUrls,
    AppWaker,
    { provide: APP_URLS_READER, useExisting: AppUrls },
    DomainsService,
    EdgeRouter,
    IngressLoop,
    RouterLogs,
    RouterTrafficCollector,
    SleepLoop,
    WakerEndpoint,
  ],
  exports: [INGRESS_SETTINGS, EdgeRouter, DomainsService, APP_URLS_READER, RouterLogs],
})
export class IngressModule {}
