import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppChanges, AppsRepository } from '../apps/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { EdgeRouter } from './edge-router.js';
import { INGRESS_SETTINGS, type IngressSettings } from './ingress-settings.js';
import { WakerEndpoint } from './waker-endpoint.js';

/**
 * Requests held for one app while it wakes, for one tenant's apps and for all; more are answered 503 at
 * once, so one tenant's flood of sleeping apps holds at most its own share.
 */
const MAX_HELD_PER_APP = 200;
const MAX_HELD_PER_TENANT = 400;
const MAX_HELD = 2000;
/** How often an app being woken is looked at for a replica that answers. */
const POLL_MS = 100;
/** How often held requests count as a request in flight (AppsRepository.touchRequest). */
const TOUCH_MS = 500;
/** Headers of one hop only: never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const WAKING_PAGE =
  '<!doctype html><title>503 Service Unavailable</title><h1>503 Service Unavailable</h1><p>This app is starting. Try again in a moment.</p>';
const UNKNOWN_PAGE =
  '<!doctype html><title>404 Not Found</title><h1>404 Not Found</h1><p>No app answers at this address.</p>';

interface Target {
  address: string;
  port: number;
}

/**
 * The front door's waker for scale to zero. The edge routers send the requests of an app that sleeps,
 * or has just been woken and has no replica up yet, to this listener (routingTable). For each, it wakes
 * the app (AppsRepository.wake; the reconciler starts its replicas), holds the request until a replica
 * (or the app's balancer) passes its check, that is reaches state `running`, and forwards it there; the
 * answer goes back through the router. The request body is not read while it waits: TCP backpressure
 * holds it. Past BERTH_WAKE_TIMEOUT_MS, or with too many requests held, it answers 503 with Retry-After.
 * A WebSocket upgrade wakes the app and is answered 503: the client's reconnect finds it awake.
 */
@Injectable()
export class AppWaker implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AppWaker');
  private server: http.Server | undefined;
  /** Requests held, by app id and by tenant id (one map: the ids are UUIDs of different rows). */
  private readonly held = new Map<string, number>();
  private heldTotal = 0;
  /** The wait of each app being woken, shared by its held requests. */
  private readonly waits = new Map<string, Promise<Target[]>>();

  constructor(
    @Inject(INGRESS_SETTINGS) private readonly settings: IngressSettings,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly apps: AppsRepository,
    private readonly changes: AppChanges,
    private readonly router: EdgeRouter,
    private readonly endpoint: WakerEndpoint,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.settings.enabled || !this.config.runWorkers) return;
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex) => void this.refuseUpgrade(req, socket));
    server.on('clientError', (_err, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.settings.wakePort, this.settings.wakeAddress, () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.endpoint.server = { name: 'wake', address: this.settings.wakeAddress, port };
    this.logger.log(`waker listening on ${this.settings.wakeAddress}:${port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.endpoint.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    try {
      const routed = await this.router.appOfHostname(hostOf(req.headers.host));
      if (!routed) return page(res, 404, UNKNOWN_PAGE);
      const { appId, tenantId } = routed;
      if (
        (this.held.get(appId) ?? 0) >= MAX_HELD_PER_APP ||
        (this.held.get(tenantId) ?? 0) >= MAX_HELD_PER_TENANT ||
        this.heldTotal >= MAX_HELD
      )
        return page(res, 503, WAKING_PAGE, 1);
      this.hold(appId, tenantId, 1);
      let target: Target | undefined;
      try {
        target = await this.wake(appId);
      } finally {
        this.hold(appId, tenantId, -1);
      }
      if (!target) return page(res, 503, WAKING_PAGE, 2);
      if (res.destroyed) return; // the client left while it waited
      await this.apps.touchRequest(appId);
      await forward(req, res, target);
      await this.apps.touchRequest(appId);
    } catch (err) {
      this.logger.warn(`wake request: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) page(res, 503, WAKING_PAGE, 2);
      else res.destroy();
    }
  }

  private hold(appId: string, tenantId: string, change: 1 | -1): void {
    for (const key of [appId, tenantId]) {
      const count = (this.held.get(key) ?? 0) + change;
      if (count > 0) this.held.set(key, count);
      else this.held.delete(key);
    }
    this.heldTotal += change;
  }

  private async refuseUpgrade(req: http.IncomingMessage, socket: Duplex): Promise<void> {
    try {
      const routed = await this.router.appOfHostname(hostOf(req.headers.host));
      if (routed && (await this.apps.wake(routed.appId))) await this.changes.notify(routed.appId);
    } catch {
      // The answer is the same: the client retries.
    }
    socket.end(
      'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    );
  }

  /**
   * Wakes the app if it sleeps, then waits for a replica that answers; undefined past the timeout. The
   * requests held for one app share one wait (one poll of the database per interval, not one per request).
   */
  private async wake(appId: string): Promise<Target | undefined> {
    let waiting = this.waits.get(appId);
    if (!waiting) {
      waiting = this.waitForTargets(appId).finally(() => this.waits.delete(appId));
      this.waits.set(appId, waiting);
    }
    const targets = await waiting;
    return targets[Math.floor(Math.random() * targets.length)];
  }

  private async waitForTargets(appId: string): Promise<Target[]> {
    if (await this.apps.wake(appId)) {
      this.logger.log(`app ${appId} woken by a request`);
      await this.changes.notify(appId);
    }
    const deadline = Date.now() + this.config.wakeTimeoutMs;
    let touchedAt = Date.now();
    for (;;) {
      const targets = await this.readyTargets(appId);
      if (targets.length > 0 || Date.now() >= deadline) return targets;
      // Held requests keep their app awake: a wake slower than the idle time must not end in sleep.
      if (Date.now() - touchedAt >= TOUCH_MS) {
        await this.apps.touchRequest(appId);
        touchedAt = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /** The app's balancer when one runs, else its running web replicas. */
  private async readyTargets(appId: string): Promise<Target[]> {
    const rows: { role: string; address: string; port: number }[] = await this.dataSource.query(
      `SELECT r.role, h.public_address AS address, r.host_port AS port
         FROM replicas r JOIN hosts h ON h.id = r.host_id
        WHERE r.app_id = $1 AND r.state = 'running' AND r.host_port IS NOT NULL`,
      [appId],
    );
    const balancers = rows.filter((row) => row.role === 'lb');
    return (balancers.length > 0 ? balancers : rows).map(({ address, port }) => ({ address, port }));
  }
}

/** The Host header's name, lower-case, without its port. */
function hostOf(header: string | undefined): string {
  return (header ?? '').replace(/:\d+$/, '').toLowerCase();
}

function page(res: http.ServerResponse, status: number, html: string, retryAfterSeconds?: number): void {
  res.writeHead(status, {
    'content-type': 'text/html',
    'content-length': Buffer.byteLength(html),
    ...(retryAfterSeconds ? { 'retry-after': String(retryAfterSeconds) } : {}),
  });
  res.end(html);
}

/** Forwards one request to the replica and its answer back, both streamed. */
function forward(req: http.IncomingMessage, res: http.ServerResponse, target: Target): Promise<void> {
  return new Promise((resolve) => {
    const upstream = http.request(
      {
        host: target.address,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: withoutHopByHop(req.headers),
        agent: false,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
        pipeline(answer, res, () => resolve());
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) page(res, 502, WAKING_PAGE, 1);
      else res.destroy();
      resolve();
    });
    pipeline(req, upstream, () => undefined);
  });
}

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const kept: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}
