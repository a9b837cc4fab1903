import crypto from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { AppsRepository } from '../apps/index.js';
import { BERTH_KEYS, type BerthKeys } from '../config/index.js';
import { EngineError, type ContainerEngine } from '../engine/index.js';
import { EnginePool, type Host } from '../hosts/index.js';
import { Tenant } from '../identity/index.js';
import {
  appliedHashOf,
  applyHaproxyConfig,
  configFileText,
  configHash,
  ContainerHaproxyControl,
  HAPROXY_FILES,
  ReplicasRepository,
} from '../runtime/index.js';
import { AcmeRepository } from './acme.repository.js';
import { AppDomainsRepository } from './app-domains.repository.js';
import { INGRESS_SETTINGS, type IngressSettings } from './ingress-settings.js';
import type { AppDomain } from './app-domain.entity.js';
import { certificateContext } from './domains.service.js';
import {
  acmeChallengeRules,
  certificateFile,
  renderRouterConfig,
  type AcmeChallengeAnswer,
} from './router-config.js';
import { RouterTrafficCollector } from './router-traffic.js';
import { routerContainerName, routerContainerSpec } from './router-container.js';
import { routingTable, type RoutingRows } from './routing-table.js';
import { WakerEndpoint } from './waker-endpoint.js';

/**
 * Client keep-alive on the router: below the reconciler's smallest sensible drain delay, so a connection
 * an old worker keeps after a reload never outlives the replicas being drained behind it.
 */
const KEEP_ALIVE_MS = 2000;
const CHECK_INTERVAL_MS = 1000;
/** The app a hostname routes to, and its tenant. */
export interface RoutedApp {
  appId: string;
  tenantId: string;
}

/** How old the hostname → app map the waker reads may be before it is read again. */
const HOSTNAMES_MAX_AGE_MS = 1000;

/**
 * Keeps one edge router on every pool host that takes or keeps work, each running the configuration
 * rendered from the database for that host. A router that is missing or stopped is (re)created from the
 * current configuration; a running one whose configuration differs is reloaded through the balancers'
 * own sequence (stage, `haproxy -c`, swap, SIGUSR2, restore on failure). Called by one process at a time
 * (IngressLoop holds a PostgreSQL advisory lock), one host after another.
 */
@Injectable()
export class EdgeRouter {
  private readonly logger = new Logger('EdgeRouter');
  /** What each host's router has loaded, by host id: its container and the hash of its configuration. */
  private readonly applied = new Map<string, { containerId: string; hash: string }>();
  /** Every routed hostname's app, as of the last sync (or lookup). */
  private hostnames: { readAt: number; apps: Map<string, RoutedApp> } | undefined;

  constructor(
    @Inject(INGRESS_SETTINGS) private readonly settings: IngressSettings,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly apps: AppsRepository,
    private readonly replicas: ReplicasRepository,
    private readonly pool: EnginePool,
    private readonly domains: AppDomainsRepository,
    @Inject(BERTH_KEYS) private readonly keys: BerthKeys,
    private readonly acme: AcmeRepository,
    private readonly waker: WakerEndpoint,
    private readonly traffic: RouterTrafficCollector,
  ) {}

  /** One pass over every host; a host that fails is logged and retried at the next pass. */
  async syncAll(): Promise<void> {
    const hosts = (await this.pool.hosts()).filter((h) => h.status === 'ready' || h.status === 'cordoned');
    const verified = await this.domains.allVerified();
    const rows = await this.rows(hosts, verified);
    this.rememberHostnames(rows);
    const certificates = this.certificatesOf(verified);
    const challenges = (await this.acme.liveChallenges()).filter((challenge) => this.renderable(challenge));
    for (const host of hosts) {
      try {
        await this.syncHost(host, rows, certificates, challenges);
      } catch (err) {
        this.applied.delete(host.id);
        this.logger.warn(`router on host ${host.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  /** The app a hostname routes to (for the waker), from a map at most a second old. */
  async appOfHostname(hostname: string): Promise<RoutedApp | undefined> {
    if (!this.hostnames || Date.now() - this.hostnames.readAt > HOSTNAMES_MAX_AGE_MS) {
      const hosts = await this.pool.hosts();
      this.rememberHostnames(await this.rows(hosts, await this.domains.allVerified()));
    }
    return this.hostnames!.apps.get(hostname);
  }

  private rememberHostnames(rows: RoutingRows): void {
    const tenantOf = new Map(rows.apps.map((app) => [app.id, app.tenantId]));
    const apps = new Map<string, RoutedApp>();
    for (const route of routingTable(rows, { routerHostId: '', appsDomain: this.settings.appsDomain })) {
      const app = { appId: route.appId, tenantId: tenantOf.get(route.appId)! };
      for (const hostname of route.hostnames) apps.set(hostname, app);
    }
    this.hostnames = { readAt: Date.now(), apps };
  }

  /**
   * The configuration a host's router should run; HTTPS only with `certificates` (which must be in the
   * router's tmpfs before it loads this text).
   */
  configFor(
    hostId: string,
    rows: RoutingRows,
    certificates: ReadonlyMap<string, string>,
    acmeChallenges: readonly AcmeChallengeAnswer[] = [],
  ): string {
    const routes = routingTable(rows, {
      routerHostId: hostId,
      appsDomain: this.settings.appsDomain,
      waker: this.waker.server,
    });
    const digest = crypto.createHash('sha256');
    for (const [hostname, pem] of [...certificates].sort(([a], [b]) => (a < b ? -1 : 1))) {
      digest.update(`${hostname}\n${pem}\n`);
    }
    return renderRouterConfig({
      listenAddress: this.settings.address,
      httpPort: this.settings.httpPort,
      routes,
      keepAliveTimeoutMs: KEEP_ALIVE_MS,
      checkIntervalMs: CHECK_INTERVAL_MS,
      acmeChallenges,
      ...(this.settings.httpsPort
        ? {
            https: {
              port: this.settings.httpsPort,
              hostnames: [...certificates.keys()],
              certificatesHash: digest.digest('hex').slice(0, 32),
            },
          }
        : {}),
    });
  }

  /** Chain + key PEM of every verified domain with a certificate, by hostname (keys unsealed in memory only). */
  private certificatesOf(domains: readonly AppDomain[]): Map<string, string> {
    const files = new Map<string, string>();
    if (!this.settings.httpsPort) return files;
    // Under the apps domain's own name: SNI picks it for every default hostname it covers.
    if (this.settings.appsDomainCertificate) {
      files.set(this.settings.appsDomain, this.settings.appsDomainCertificate);
    }
    for (const domain of domains) {
      if (!domain.certificatePem || !domain.keySealed) continue;
      try {
        const key = this.keys.secretBox.open(domain.keySealed, certificateContext(domain.id));
        files.set(domain.hostname, `${domain.certificatePem.trim()}\n${key.trim()}\n`);
      } catch {
        this.logger.warn(`certificate of ${domain.hostname}: its key does not open; served without it`);
      }
    }
    return files;
  }

  /** One bad challenge row (a CA's odd token) is left out rather than stopping every router's sync. */
  private renderable(challenge: AcmeChallengeAnswer): boolean {
    try {
      acmeChallengeRules([challenge]);
      return true;
    } catch (err) {
      this.logger.warn(`ACME challenge for ${challenge.hostname} left out: ${(err as Error).message}`);
      return false;
    }
  }

  /** Stops and removes this process's routers on every host (the shutdown of a test's API). */
  async removeAll(): Promise<void> {
    for (const host of await this.pool.hosts()) {
      const engine = await this.pool.engineFor(host);
      await engine.removeContainer({ id: routerContainerName(this.settings.httpPort), force: true });
      this.applied.delete(host.id);
    }
  }

  private async syncHost(
    host: Host,
    rows: RoutingRows,
    certificates: Map<string, string>,
    challenges: readonly AcmeChallengeAnswer[],
  ): Promise<void> {
    const engine = await this.pool.engineFor(host);
    const text = this.configFor(host.id, rows, certificates, challenges);
    const hash = configHash(text);
    const name = routerContainerName(this.settings.httpPort);
    const details = await engine.inspectContainer({ id: name });
    if (!details?.running) {
      // A new router's tmpfs is empty: it starts without HTTPS, and the next pass adds the certificates.
      const plain = this.configFor(host.id, rows, new Map(), challenges);
      await this.create(engine, host, { text: plain, hash: configHash(plain), existing: details?.id });
      return;
    }
    const known = this.applied.get(host.id);
    if (known?.containerId === details.id && known.hash === hash) return;
    const control = new ContainerHaproxyControl(engine, details.id);
    if (known?.containerId !== details.id) {
      // Another process (or an earlier run of this one) may have loaded it already: its first line says.
      const live = appliedHashOf(await control.readFile(HAPROXY_FILES.live));
      if (live === hash) {
        this.applied.set(host.id, { containerId: details.id, hash });
        return;
      }
    }
    const started = Date.now();
    for (const [hostname, pem] of certificates) await control.writeFile(certificateFile(hostname), pem);
    await applyHaproxyConfig(control, { text, hash, marker: `berth-router ${hash} ${started}` });
    this.applied.set(host.id, { containerId: details.id, hash });
    this.logger.log(
      `router on host ${host.name}: configuration ${hash} loaded in ${Date.now() - started} ms`,
    );
  }

  private async create(
    engine: ContainerEngine,
    host: Host,
    options: { text: string; hash: string; existing: string | undefined },
  ): Promise<void> {
    if (options.existing) {
      // Its log goes with it: the requests it served since the last pass are counted for egress first.
      await this.traffic
        .collect(host)
        .catch((err) =>
          this.logger.warn(
            `router traffic of host ${host.name} before its router is recreated: ${err instanceof Error ? err.message : String(err)}`,
          ),
        );
      await engine.removeContainer({ id: options.existing, force: true });
    }
    const marker = `berth-router ${options.hash} start`;
    const spec = routerContainerSpec({
      httpPort: this.settings.httpPort,
      configFile: configFileText({ text: options.text, hash: options.hash, marker }),
    });
    let id: string;
    try {
      ({ id } = await engine.createContainer(spec));
    } catch (err) {
      // Another process created it between the inspect and here: the next pass reloads it.
      if (err instanceof EngineError && err.conflict) return;
      throw err;
    }
    await engine.startContainer({ id });
    this.applied.set(host.id, { containerId: id, hash: options.hash });
    this.logger.log(
      `router started on host ${host.name} at ${this.settings.address}:${this.settings.httpPort}`,
    );
  }

  private async rows(hosts: Host[], domains: AppDomain[]): Promise<RoutingRows> {
    const [apps, replicas] = await Promise.all([this.apps.all(), this.replicas.servingWithPort()]);
    const tenantIds = [...new Set(apps.map((app) => app.tenantId))];
    const tenants =
      tenantIds.length === 0
        ? []
        : await this.dataSource.getRepository(Tenant).find({ where: { id: In(tenantIds) } });
    return {
      apps,
      tenantNames: new Map(tenants.map((tenant) => [tenant.id, tenant.name])),
      replicas,
      hosts,
      domains,
    };
  }
}
