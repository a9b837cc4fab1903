import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppChanges } from '../apps/index.js';
import { BERTH_CONFIG, BERTH_KEYS, type BerthConfig, type BerthKeys } from '../config/index.js';
import { ControlLoop, LOCK_KEYS } from '../control-loop/index.js';
import { AcmeIssuer } from './acme-issuer.js';
import { renewalAt, retryAt } from './acme-schedule.js';
import { ACME_SETTINGS, type AcmeSettings } from './acme-settings.js';
import { AcmeRepository } from './acme.repository.js';
import type { AppDomain } from './app-domain.entity.js';
import { checkCertificate } from './certificate-check.js';
import { certificateContext } from './domains.service.js';
import { INGRESS_SETTINGS, type IngressSettings } from './ingress-settings.js';

/** Domains taken per pass; the next pass follows at once while more are due. */
const BATCH = 4;
/** A certificate shorter-lived than the renewal window is not renewed more often than this. */
const MIN_RENEWAL_DELAY_MS = 3_600_000;

/**
 * Issues and renews ACME certificates in the background, one domain after another, in one process at a
 * time (advisory lock LOCK_KEYS.acme). A domain is due when it asked for ACME, is verified, and its next
 * attempt time has come: the first issuance, a retry after a failure (backoff, bounded attempts), or the
 * renewal `renewBeforeDays` before the end of validity. The certificate in place stays served until the
 * new one replaces it; the router swaps it with a graceful reload.
 */
@Injectable()
export class AcmeLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AcmeLoop');
  private readonly loop: ControlLoop | undefined;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @Inject(INGRESS_SETTINGS) private readonly ingress: IngressSettings,
    @Inject(ACME_SETTINGS) settings: AcmeSettings | undefined,
    @Inject(BERTH_KEYS) private readonly keys: BerthKeys,
    @InjectDataSource() dataSource: DataSource,
    private readonly changes: AppChanges,
    private readonly store: AcmeRepository,
    private readonly issuer: AcmeIssuer,
  ) {
    if (!settings) return;
    this.loop = new ControlLoop({
      name: 'AcmeLoop',
      lockKey: LOCK_KEYS.acme,
      intervalMs: settings.intervalMs,
      dataSource,
      work: () => this.pass(settings),
    });
  }

  onApplicationBootstrap(): void {
    if (!this.loop || !this.ingress.enabled || !this.config.runWorkers) return;
    // A request for a certificate (or a verification) is an app change: look at once, not at the interval.
    this.changes.onChange(() => this.loop?.wake());
    this.loop.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  private async pass(settings: AcmeSettings): Promise<void | { nextPassInMs: number }> {
    const due = await this.store.due(new Date(), BATCH);
    for (const domain of due) await this.attempt(domain, settings);
    return due.length === BATCH ? { nextPassInMs: 0 } : undefined;
  }

  private async attempt(domain: AppDomain, settings: AcmeSettings): Promise<void> {
    await this.store.markIssuing(domain.id);
    const started = Date.now();
    try {
      const issued = await this.issuer.issue(domain);
      const now = new Date();
      const checked = checkCertificate({
        certificatePem: issued.chainPem,
        privateKeyPem: issued.keyPem,
        hostname: domain.hostname,
        now,
      });
      const renewAt = Math.max(
        renewalAt(checked.notAfter, settings.renewBeforeDays).getTime(),
        now.getTime() + MIN_RENEWAL_DELAY_MS,
      );
      await this.store.markIssued(domain.id, {
        certificatePem: checked.chainPem,
        keySealed: this.keys.secretBox.seal(checked.keyPem, certificateContext(domain.id)),
        certificateNotAfter: checked.notAfter,
        certificateIssuer: checked.issuer,
        renewAt: new Date(renewAt),
      });
      await this.changes.notify(domain.appId);
      this.logger.log(
        `certificate for ${domain.hostname} issued by ${checked.issuer} in ${Date.now() - started} ms, valid until ${checked.notAfter.toISOString()}`,
      );
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      const attempts = domain.acmeAttempts + 1;
      const next = retryAt(attempts, {
        now: new Date(),
        baseMs: settings.retryBaseMs,
        maxAttempts: settings.maxAttempts,
      });
      await this.store.markFailed(domain.id, { error, attempts, retryAt: next });
      this.logger.warn(
        `certificate for ${domain.hostname} failed (attempt ${attempts}${next ? `, next at ${next.toISOString()}` : ', giving up'}): ${error}`,
      );
    }
  }
}
