import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import type { App } from '../apps/index.js';
import { Tenant } from '../identity/index.js';
import type { AppUrlsReader } from '../runtime/index.js';
import { AppDomainsRepository } from './app-domains.repository.js';
import { defaultHostname } from './hostnames.js';
import { INGRESS_SETTINGS, type IngressSettings } from './ingress-settings.js';

/**
 * The app's public URLs for its GET: its default hostname, then its verified custom domains; https where
 * the router serves a certificate for the name, with the port when it is not the scheme's own. None when
 * the router is off in this configuration.
 */
@Injectable()
export class AppUrls implements AppUrlsReader {
  constructor(
    @Inject(INGRESS_SETTINGS) private readonly settings: IngressSettings,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly domains: AppDomainsRepository,
  ) {}

  async urlsOf(apps: App[]): Promise<Map<string, string[]>> {
    const urls = new Map<string, string[]>();
    if (!this.settings.enabled || apps.length === 0) return urls;
    const tenantIds = [...new Set(apps.map((app) => app.tenantId))];
    const tenants = await this.dataSource.getRepository(Tenant).find({ where: { id: In(tenantIds) } });
    const names = new Map(tenants.map((tenant) => [tenant.id, tenant.name]));
    const verified = await this.domains.verifiedOfApps(apps.map((app) => app.id));
    for (const app of apps) {
      const hostname = defaultHostname({
        appName: app.name,
        tenantId: app.tenantId,
        tenantName: names.get(app.tenantId) ?? '',
        appsDomain: this.settings.appsDomain,
      });
      const list = [this.url(hostname, !!this.settings.appsDomainCertificate)];
      for (const domain of verified.filter((d) => d.appId === app.id)) {
        list.push(this.url(domain.hostname, !!domain.certificatePem));
      }
      urls.set(app.id, list);
    }
    return urls;
  }

  private url(hostname: string, secured: boolean): string {
    const https = secured && this.settings.httpsPort !== undefined;
    const port = https ? this.settings.httpsPort : this.settings.httpPort;
    const standard = https ? port === 443 : port === 80;
    return `${https ? 'https' : 'http'}://${hostname}${standard ? '' : `:${port}`}/`;
  }
}
