import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppsRepository, AppsService, type App } from '../apps/index.js';
import { type BuildLogEntry, type Build, BuildsRepository, BuildsService } from '../builds/index.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/index.js';
import { ProblemError, problems } from '../errors/index.js';
import { AuthService, actorOf, Tenant } from '../identity/index.js';
import { AppLogReader } from './app-log-reader.js';
import { AppLogWatcher } from './app-log-watcher.js';
import { LiveLogFeed, type LiveLogSink } from './live-log-feed.js';
import type { LogHub } from './log-fanout.js';
import { LogSessionTokens } from './log-session-tokens.js';
import { StreamSlots } from './stream-slots.js';

export const LOG_HUB = Symbol('LOG_HUB');

/** Who opened a stream, on which app. */
export interface StreamGrant {
  tenantId: string;
  app: App;
  actor: string;
}

export interface StreamCredentials {
  appName: string;
  /** A log-session token (`?token=`). */
  token?: string;
  /** `Authorization: Bearer …`: an access JWT or an API key holding logs:read. */
  bearer?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The live side of logs, shared by the WebSocket edge and followed NDJSON: who may open a stream (the
 * app's own tenant only: a log-session token bound to the app, or a bearer with logs:read), how many each
 * tenant may hold open, and the feeds themselves (one LogHub per process, fed by AppLogWatcher; history
 * from AppLogReader). Refusals are ProblemErrors, so the edge maps them alike (WebSocket close code =
 * 4000 + HTTP status).
 */
@Injectable()
export class LogStreamsService implements OnApplicationShutdown {
  private readonly logger = new Logger('LogStreams');
  private readonly slots: StreamSlots;

  constructor(
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(LOG_HUB) private readonly hub: LogHub,
    @Inject(LogSessionTokens) private readonly tokens: LogSessionTokens,
    private readonly auth: AuthService,
    private readonly apps: AppsService,
    private readonly appRows: AppsRepository,
    private readonly builds: BuildsService,
    private readonly buildRows: BuildsRepository,
    private readonly reader: AppLogReader,
    private readonly watcher: AppLogWatcher,
  ) {
    this.slots = new StreamSlots(dataSource, { perTenant: config.logStreamsPerTenant });
  }

  /**
   * 401 without valid credentials (or with a token of another app), 403 without logs:read, 404 when the app
   * is not the caller's (or was deleted).
   */
  async authorize(credentials: StreamCredentials): Promise<StreamGrant> {
    if (credentials.token !== undefined) return this.authorizeToken(credentials.token, credentials.appName);
    if (credentials.bearer === undefined) throw problems.unauthorized();
    const principal = await this.auth.authenticate(credentials.bearer);
    if (!principal) throw problems.unauthorized();
    if (!principal.tenantId) throw problems.forbidden('Platform keys cannot read tenant logs');
    if (!principal.permissions.has('logs:read'))
      throw problems.forbidden("This needs the 'logs:read' permission");
    const app = await this.apps.get(principal, credentials.appName);
    return { tenantId: principal.tenantId, app, actor: actorOf(principal) };
  }

  /** As `authorize`, and the build must be one of that app's (else 404). */
  async authorizeBuild(credentials: StreamCredentials & { buildId: string }): Promise<{
    grant: StreamGrant;
    build: Build;
  }> {
    const grant = await this.authorize(credentials);
    const build = UUID.test(credentials.buildId)
      ? await this.buildRows.findOfApp(grant.app.id, credentials.buildId)
      : null;
    if (!build) throw problems.notFound('build', credentials.buildId.slice(0, 40));
    return { grant, build };
  }

  /** Whether the stream's opener may still read logs: 'revoked' (gone) or 'forbidden' (lost logs:read) end it. */
  standing(grant: StreamGrant): Promise<'ok' | 'revoked' | 'forbidden'> {
    return this.auth.actorStanding(grant.actor, grant.tenantId, 'logs:read');
  }

  /** Takes one of the tenant's stream slots, across API processes (429 stream_limit_reached when none is left). */
  acquireSlot(tenantId: string): Promise<() => void> {
    return this.slots.acquire(tenantId);
  }

  /** After the gateway closed the streams (beforeApplicationShutdown): the slots left go back. */
  async onApplicationShutdown(): Promise<void> {
    await this.slots.close();
  }

  /** A live feed of the app's log (not started). Throws InvalidCursorError for a bad cursor. */
  appFeed(app: App, options: { cursor?: string; tail?: number; sink: LiveLogSink }): LiveLogFeed {
    if (options.tail !== undefined && !(Number.isSafeInteger(options.tail) && options.tail >= 0)) {
      throw new ProblemError(400, 'invalid_tail', 'Bad request', 'tail must be a non-negative integer');
    }
    return new LiveLogFeed({
      hub: this.hub,
      app: app.id,
      cursor: options.cursor,
      tail: options.tail === undefined ? undefined : Math.min(options.tail, 10_000),
      maxBufferedLines: this.config.logStreamBufferLines,
      sink: options.sink,
      backfill: (request, signal) => this.reader.read(app.id, request, { signal }),
      onBackfillError: (error) =>
        this.logger.warn(`history of app ${app.id} unavailable: ${(error as Error).message}`),
    });
  }

  /** Told when a watched app is deleted: its streams end (close 4404). */
  onAppGone(listener: (appId: string) => void): () => void {
    return this.watcher.onAppGone(listener);
  }

  /** The build's log lines after `after`, live until the build ends. */
  followBuild(build: Build, after: number, signal: AbortSignal): AsyncGenerator<BuildLogEntry> {
    return this.builds.follow(build, after, signal);
  }

  async buildStatus(build: Build): Promise<string> {
    return (await this.builds.byId(build.id)).status;
  }

  /** Log streams open in every process (their slots). */
  openStreamsEverywhere(): Promise<number> {
    return this.slots.countAll();
  }

  hubStats(): { apps: number; upstreams: number; subscribers: number; ringBytes: number } {
    return this.hub.stats();
  }

  /** Stops every follow (on shutdown, after the streams were closed). */
  close(): void {
    this.hub.close();
  }

  private async authorizeToken(token: string, appName: string): Promise<StreamGrant> {
    const claims = this.tokens.verify(token);
    if (!claims) throw problems.unauthorized('The log session token is invalid or expired');
    const tenant = await this.dataSource.getRepository(Tenant).findOne({ where: { id: claims.tenantId } });
    if (!tenant || tenant.status !== 'active') throw problems.unauthorized();
    const app = await this.appRows.findOfTenantById(claims.tenantId, claims.appId);
    if (!app) throw problems.notFound('app', appName);
    // A token opens its own app only: the name in the URL is read in the token's tenant.
    if (app.name !== appName) throw problems.unauthorized('This log session token is for another app');
    return { tenantId: claims.tenantId, app, actor: claims.actor };
  }
}
