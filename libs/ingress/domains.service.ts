import crypto from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppChanges, AppsRepository, type App } from '../apps/index.js';
import { BERTH_KEYS, type BerthKeys } from '../config/index.js';
import { AuditService } from '../audit/index.js';
import { isUniqueViolation, LOCK_CLASSES } from '../db/index.js';
import { problems } from '../errors/index.js';
import { actorOf, tenantIdOf, type Principal } from '../identity/index.js';
import { TenantPlanRepository } from '../plans/index.js';
import { ACME_SETTINGS, type AcmeSettings } from './acme-settings.js';
import { AcmeRepository } from './acme.repository.js';
import type { AppDomain } from './app-domain.entity.js';
import { AppDomainsRepository } from './app-domains.repository.js';
import { CertificateRejectedError, checkCertificate } from './certificate-check.js';
import { customHostnameProblem } from './custom-hostname.js';
import { CHALLENGE_LABEL, holdsToken, TXT_LOOKUP, type TxtLookup } from './domain-verification.js';
import { INGRESS_SETTINGS, type IngressSettings } from './ingress-settings.js';

/** A domain as the API shows it: with what to publish in DNS while it is pending. */
export interface DomainState {
  domain: AppDomain;
  challenge: { type: 'dns-txt'; name: string; value: string };
}

/**
 * Custom domains of a tenant's apps. A domain routes once verified: the tenant publishes a TXT record at
 * `_berth-challenge.<hostname>` holding the domain's token, then asks for verification. Another tenant's
 * app is "not found"; a hostname verified by another app (any tenant) is a conflict.
 */
@Injectable()
export class DomainsService {
  constructor(
    @Inject(INGRESS_SETTINGS) private readonly settings: IngressSettings,
    @Inject(TXT_LOOKUP) private readonly lookupTxt: TxtLookup,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly apps: AppsRepository,
    private readonly domains: AppDomainsRepository,
    private readonly plans: TenantPlanRepository,
    private readonly audit: AuditService,
    @Inject(BERTH_KEYS) private readonly keys: BerthKeys,
    @Inject(ACME_SETTINGS) private readonly acme: AcmeSettings | undefined,
    private readonly acmeStore: AcmeRepository,
    private readonly changes: AppChanges,
  ) {}

  async list(principal: Principal, appName: string): Promise<DomainState[]> {
    const app = await this.appOf(principal, appName);
    return (await this.domains.ofApp(app.id)).map(withChallenge);
  }

  /** Adds a pending domain; `acme`: with an ACME certificate asked for, issued once it is verified. */
  async add(
    principal: Principal,
    appName: string,
    hostname: string,
    options: { acme: boolean } = { acme: false },
  ): Promise<DomainState> {
    const tenantId = tenantIdOf(principal);
    const app = await this.appOf(principal, appName);
    const problem = customHostnameProblem(hostname, this.settings.appsDomain);
    if (problem) throw problems.unprocessable('invalid_hostname', `${hostname}: ${problem}`);
    if (options.acme) this.assertAcmeConfigured();
    try {
      const domain = await this.dataSource.transaction(async (manager) => {
        // The plan row lock serialises a tenant's concurrent adds against its own quota.
        const plan = await this.plans.planOf(tenantId, manager);
        await manager.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
          LOCK_CLASSES.domainClaims,
          tenantId,
        ]);
        const current = await this.domains.countOfTenant(tenantId, manager);
        if (current + 1 > plan.maxCustomDomains) {
          throw problems.quotaExceeded('maxCustomDomains', {
            limit: plan.maxCustomDomains,
            current,
            requested: 1,
          });
        }
        if (await this.domains.verifiedOf(hostname, manager)) throw taken(hostname);
        const row = await this.domains.insert(manager, {
          tenantId,
          appId: app.id,
          hostname,
          verificationToken: crypto.randomBytes(20).toString('hex'),
          acmeRequestedAt: options.acme ? new Date() : null,
        });
        await this.audit.record(
          {
            tenantId,
            actor: actorOf(principal),
            action: 'domain.add',
            target: `app:${app.id}`,
            data: { hostname, ...(options.acme ? { certificate: 'acme' } : {}) },
          },
          manager,
        );
        return row;
      });
      return withChallenge(domain);
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw problems.conflict('domain_exists', `Your tenant already added ${hostname}`);
      }
      throw err;
    }
  }

  /** Looks the TXT record up now; verified → it routes from the router's next sync. */
  async verify(principal: Principal, appName: string, hostname: string): Promise<DomainState> {
    const app = await this.appOf(principal, appName);
    const domain = await this.domainOf(app, hostname);
    if (domain.verifiedAt) return withChallenge(domain);
    const name = `${CHALLENGE_LABEL}.${hostname}`;
    let records: string[][];
    try {
      records = await this.lookupTxt(name);
    } catch (err) {
      const reason = `DNS lookup of ${name} failed: ${(err as { code?: string }).code ?? String(err)}`;
      await this.domains.recordFailure(domain.id, reason);
      throw problems.unprocessable('domain_not_verified', reason);
    }
    if (!holdsToken(records, domain.verificationToken)) {
      const reason = `no TXT record at ${name} holds this domain's token`;
      await this.domains.recordFailure(domain.id, reason);
      throw problems.unprocessable('domain_not_verified', reason);
    }
    try {
      await this.domains.markVerified(domain.id, new Date());
    } catch (err) {
      if (isUniqueViolation(err)) throw taken(hostname);
      throw err;
    }
    await this.audit.record({
      tenantId: app.tenantId,
      actor: actorOf(principal),
      action: 'domain.verify',
      target: `app:${app.id}`,
      data: { hostname },
    });
    return withChallenge(await this.domainOf(app, hostname));
  }

  /**
   * Stores an uploaded certificate for the domain once it passes checkCertificate; its key is sealed (the
   * domain id bound in) and never returned. The router serves it from its next sync, once the domain is
   * verified.
   */
  async setCertificate(
    principal: Principal,
    appName: string,
    hostname: string,
    upload: { certificate: string; privateKey: string },
  ): Promise<DomainState> {
    const app = await this.appOf(principal, appName);
    const domain = await this.domainOf(app, hostname);
    let checked;
    try {
      checked = checkCertificate({
        certificatePem: upload.certificate,
        privateKeyPem: upload.privateKey,
        hostname,
        now: new Date(),
      });
    } catch (err) {
      if (err instanceof CertificateRejectedError)
        throw problems.unprocessable('certificate_rejected', err.message);
      throw err;
    }
    await this.domains.setCertificate(domain.id, {
      certificatePem: checked.chainPem,
      keySealed: this.keys.secretBox.seal(checked.keyPem, certificateContext(domain.id)),
      certificateNotAfter: checked.notAfter,
      certificateIssuer: checked.issuer,
    });
    await this.audit.record({
      tenantId: app.tenantId,
      actor: actorOf(principal),
      action: 'domain.certificate',
      target: `app:${app.id}`,
      data: { hostname, notAfter: checked.notAfter.toISOString() },
    });
    return withChallenge(await this.domainOf(app, hostname));
  }

  /**
   * Asks for a certificate from the ACME directory (or a new one now, which renews an issued one). The ACME
   * loop orders it in the background once the domain is verified; the certificate in place, if any, stays
   * served until the new one replaces it. Status and errors show on the domain.
   */
  async requestAcme(principal: Principal, appName: string, hostname: string): Promise<DomainState> {
    const app = await this.appOf(principal, appName);
    const domain = await this.domainOf(app, hostname);
    this.assertAcmeConfigured();
    await this.acmeStore.request(domain.id, new Date());
    await this.audit.record({
      tenantId: app.tenantId,
      actor: actorOf(principal),
      action: 'domain.certificate.acme',
      target: `app:${app.id}`,
      data: { hostname },
    });
    await this.changes.notify(app.id);
    return withChallenge(await this.domainOf(app, hostname));
  }

  async remove(principal: Principal, appName: string, hostname: string): Promise<void> {
    const app = await this.appOf(principal, appName);
    const domain = await this.domainOf(app, hostname);
    await this.dataSource.transaction(async (manager) => {
      await this.domains.delete(manager, domain.id);
      await this.audit.record(
        {
          tenantId: app.tenantId,
          actor: actorOf(principal),
          action: 'domain.remove',
          target: `app:${app.id}`,
          data: { hostname },
        },
        manager,
      );
    });
  }

  private assertAcmeConfigured(): void {
    if (!this.acme) {
      throw problems.conflict('acme_not_configured', 'This platform has no ACME directory configured');
    }
  }

  private async appOf(principal: Principal, appName: string): Promise<App> {
    const app = await this.apps.findOfTenant(tenantIdOf(principal), appName);
    if (!app) throw problems.notFound('app', appName);
    return app;
  }

  private async domainOf(app: App, hostname: string): Promise<AppDomain> {
    const domain = await this.domains.oneOfApp(app.id, hostname);
    if (!domain) throw problems.notFound('domain', hostname);
    return domain;
  }
}

/** The sealing context of a domain's certificate key: it opens for that domain's row only. */
export function certificateContext(domainId: string): string {
  return `app-domain-certificate:${domainId}`;
}

function withChallenge(domain: AppDomain): DomainState {
  return {
    domain,
    challenge: {
      type: 'dns-txt',
      name: `${CHALLENGE_LABEL}.${domain.hostname}`,
      value: domain.verificationToken,
    },
  };
}

function taken(hostname: string) {
  return problems.conflict('domain_taken', `${hostname} is already verified for another app`);
}
