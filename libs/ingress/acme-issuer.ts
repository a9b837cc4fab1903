import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { Inject, Injectable, Logger } from '@nestjs/common';
import acme from 'acme-client';
import { AppChanges } from '../apps/index.js';
import { BERTH_KEYS, type BerthKeys } from '../config/index.js';
import { ACME_SETTINGS, type AcmeSettings } from './acme-settings.js';
import { AcmeRepository } from './acme.repository.js';
import { INGRESS_SETTINGS, type IngressSettings } from './ingress-settings.js';

/** A certificate the CA issued: the chain (leaf first) and its key, PEM. */
export interface IssuedCertificate {
  chainPem: string;
  keyPem: string;
}

/** How long the router gets to serve a new challenge before the CA is asked to fetch it. */
const CHALLENGE_SERVED_TIMEOUT_MS = 30_000;

/**
 * Orders a certificate for one hostname from the ACME directory with acme-client, answering HTTP-01
 * through the edge router: the challenge goes into `acme_challenges`, the routers render it into their
 * configuration at their next sync (woken through AppChanges), and the CA is told to fetch it only once
 * the router on this machine answers it. Berth's account key is made on first use and sealed at rest.
 */
@Injectable()
export class AcmeIssuer {
  private readonly logger = new Logger('AcmeIssuer');

  constructor(
    @Inject(ACME_SETTINGS) private readonly settings: AcmeSettings | undefined,
    @Inject(INGRESS_SETTINGS) private readonly ingress: IngressSettings,
    @Inject(BERTH_KEYS) private readonly keys: BerthKeys,
    private readonly store: AcmeRepository,
    private readonly changes: AppChanges,
  ) {
    if (settings?.caPem) {
      // acme-client talks through its own axios instance: trust the configured CA (pebble's) there only.
      acme.axios.defaults.httpsAgent = new https.Agent({ ca: [...tls.rootCertificates, settings.caPem] });
    }
  }

  async issue(domain: { appId: string; hostname: string }): Promise<IssuedCertificate> {
    const settings = this.settings;
    if (!settings) throw new Error('ACME is not configured (BERTH_ACME_DIRECTORY_URL)');
    const account = await this.account(settings.directoryUrl);
    const client = new acme.Client({
      directoryUrl: settings.directoryUrl,
      accountKey: account.key,
      ...(account.url ? { accountUrl: account.url } : {}),
      backoffAttempts: 10,
      backoffMin: 500,
      backoffMax: 5000,
    });
    const [key, csr] = await acme.crypto.createCsr(
      { commonName: domain.hostname, altNames: [domain.hostname] },
      await acme.crypto.createPrivateEcdsaKey(),
    );
    const chainPem = await client.auto({
      csr,
      ...(settings.email ? { email: settings.email } : {}),
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // acme-client's own check resolves the name with the system resolver; ours asks the router itself.
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'http-01') throw new Error(`unexpected challenge type ${challenge.type}`);
        const hostname = authz.identifier.value;
        await this.store.addChallenge({ token: challenge.token, hostname, keyAuthorization });
        await this.changes.notify(domain.appId);
        await this.untilRouterServes(hostname, challenge.token, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, challenge) => {
        if (challenge.type !== 'http-01') return;
        await this.store.removeChallenge(challenge.token);
        await this.changes.notify(domain.appId);
      },
    });
    if (!account.url) await this.store.setAccountUrl(settings.directoryUrl, client.getAccountUrl());
    return { chainPem, keyPem: key.toString() };
  }

  /** The account key of the directory (made and sealed on first use) and its URL once registered. */
  private async account(directoryUrl: string): Promise<{ key: string; url: string | null }> {
    const context = `acme-account:${directoryUrl}`;
    let row = await this.store.account(directoryUrl);
    if (!row) {
      const key = (await acme.crypto.createPrivateEcdsaKey()).toString();
      row = await this.store.ensureAccount(directoryUrl, this.keys.secretBox.seal(key, context));
      this.logger.log(`ACME account key made for ${directoryUrl}`);
    }
    return { key: this.keys.secretBox.open(row.keySealed, context), url: row.accountUrl };
  }

  /** Polls the router on this machine until it answers the challenge (it reloads within a sync or two). */
  private async untilRouterServes(hostname: string, token: string, keyAuthorization: string): Promise<void> {
    const deadline = Date.now() + CHALLENGE_SERVED_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const answer = await getChallenge({
        address: routerAddressFrom(this.ingress.address),
        port: this.ingress.httpPort,
        hostname,
        token,
      }).catch(() => undefined); // the router is reloading or not up yet: ask again
      if (answer === keyAuthorization) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the edge router did not serve the HTTP-01 challenge for ${hostname} within 30 s`);
  }
}

/** Where this machine reaches its own router: a wildcard listen address means loopback. */
function routerAddressFrom(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '::1';
  return address;
}

/** The router's answer (body of a 200) to the challenge's GET with Host `hostname` (fetch cannot set Host). */
function getChallenge(target: {
  address: string;
  port: number;
  hostname: string;
  token: string;
}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: target.address,
        port: target.port,
        path: `/.well-known/acme-challenge/${target.token}`,
        headers: { host: target.hostname },
        timeout: 2000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < 1024) body += chunk;
        });
        res.on('end', () =>
          res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
