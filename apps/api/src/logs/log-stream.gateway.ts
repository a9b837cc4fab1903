import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { WebSocketServer, type WebSocket } from 'ws';
import { BERTH_CONFIG, type BerthConfig } from '../../../../libs/config/index.js';
import { ProblemError } from '../../../../libs/errors/index.js';
import { LogStreamsService, type StreamCredentials, type StreamGrant } from '../../../../libs/logs/index.js';
import { RunsService } from '../../../../libs/runs/index.js';
import { LiveEvents } from '../../../../libs/events/index.js';
import { LiveMetrics } from '../../../../libs/metrics/index.js';
import { bearerOf } from '../auth/auth.guard.js';
import { CLOSE, LogStreamConnection } from './log-stream-connection.js';

type Route =
  | { kind: 'app'; app: string }
  | { kind: 'build'; app: string; build: string }
  | { kind: 'run'; app: string; run: string };

const APP_STREAM = /^\/v1\/apps\/([^/]+)\/log-stream\/?$/;
const BUILD_STREAM = /^\/v1\/apps\/([^/]+)\/builds\/([^/]+)\/log-stream\/?$/;
const RUN_STREAM = /^\/v1\/apps\/([^/]+)\/runs\/([^/]+)\/log-stream\/?$/;
/** How long shutdown waits for clients to answer the 1001 close before destroying their sockets. */
const SHUTDOWN_GRACE_MS = 1500;
/**
 * How often each open stream's opener is re-checked in PostgreSQL (one query per distinct opener), so a
 * removed user, a revoked API key or a role without logs:read ends its streams within seconds on every
 * API process, with no message between processes.
 */
export const STANDING_CHECK_MS = 3000;

/** The route of an upgrade request's path, if it is a log stream. */
export function logStreamRoute(url: string | undefined): Route | undefined {
  const path = (url ?? '').split('?')[0];
  let match = APP_STREAM.exec(path);
  if (match) return { kind: 'app', app: safeDecode(match[1]) };
  match = BUILD_STREAM.exec(path);
  if (match) return { kind: 'build', app: safeDecode(match[1]), build: safeDecode(match[2]) };
  match = RUN_STREAM.exec(path);
  if (match) return { kind: 'run', app: safeDecode(match[1]), run: safeDecode(match[2]) };
  return undefined;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/**
 * The WebSocket edge of logs (protocol: docs/logs.md):
 *   /v1/apps/{app}/log-stream                 the app's live log, every replica, starts and stops
 *   /v1/apps/{app}/builds/{id}/log-stream     a build's log until the build ends
 *   /v1/apps/{app}/runs/{id}/log-stream       a one-off run's (or release command's) output until it ends
 *
 * A plain `ws` server on the API's own HTTP server (its `upgrade` event), not a Nest gateway: Nest's
 * WsAdapter matches exact paths only, and these paths carry the app name. The upgrade is always accepted
 * and the verdict sent as a close code, because a browser sees nothing of a refused handshake. Until the
 * caller is authenticated nothing but the refusal is sent. Query strings (the token) are never logged.
 */
/** A stream with more than this unflushed gets no live metrics or event message (it would only queue). */
const LIVE_METRICS_MAX_BEHIND_BYTES = 64 * 1024;

@Injectable()
export class LogStreamGateway implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LogStream');
  private readonly wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    // Clients send nothing; a big frame is refused (close 1009) before it is buffered.
    maxPayload: 4096,
  });
  private readonly connections = new Set<LogStreamConnection>();
  /** Who opened each authorized stream, re-checked every STANDING_CHECK_MS. */
  private readonly grants = new Map<LogStreamConnection, StreamGrant>();
  private heartbeat: NodeJS.Timeout | undefined;
  private standingCheck: NodeJS.Timeout | undefined;
  private checkingStanding = false;
  private unroute: (() => void) | undefined;
  private stopGone: (() => void) | undefined;
  private shuttingDown = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly streams: LogStreamsService,
    private readonly runs: RunsService,
    private readonly liveMetrics: LiveMetrics,
    private readonly liveEvents: LiveEvents,
    @Inject(BERTH_CONFIG) private readonly config: BerthConfig,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (!server) return;
    this.unroute = routeUpgrades(
      server,
      (request) => logStreamRoute(request.url) !== undefined,
      (request, socket, head) => this.upgrade(request, socket, head),
    );
    this.heartbeat = setInterval(() => this.beat(), this.config.logStreamPingIntervalMs);
    this.heartbeat.unref();
    this.standingCheck = setInterval(() => void this.checkStanding(), STANDING_CHECK_MS);
    this.standingCheck.unref();
    this.stopGone = this.streams.onAppGone((appId) => {
      for (const connection of this.connections) {
        if (connection.appId === appId) connection.close(CLOSE.notFound, 'app_deleted');
      }
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.standingCheck) clearInterval(this.standingCheck);
    this.stopGone?.();
    this.unroute?.();
    await this.closeAll(CLOSE.goingAway, 'server shutting down');
    this.streams.close();
  }

  /** What each open stream holds (for tests and metrics): bytes not yet flushed, lines waiting, lines lost. */
  openStreams(): { appId?: string; bufferedBytes: number; queuedLines: number; droppedLines: number }[] {
    return [...this.connections].map((connection) => ({
      appId: connection.appId,
      bufferedBytes: connection.bufferedBytes,
      ...(connection.feedStats?.() ?? { queuedLines: 0, droppedLines: 0 }),
    }));
  }

  /** Closes every stream with `code` and waits (briefly) for the peers to answer. */
  async closeAll(code: number, reason: string): Promise<void> {
    const open = [...this.connections];
    const closed = open.map(
      (connection) => new Promise<void>((resolve) => connection.ws.once('close', () => resolve())),
    );
    for (const connection of open) connection.close(code, reason);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS))),
    ]);
    clearTimeout(timer);
    for (const connection of open) connection.terminate();
  }

  private upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.shuttingDown) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.on('error', () => socket.destroy());
    this.wss.handleUpgrade(request, socket, head, (ws) => void this.open(ws, request));
  }

  private async open(ws: WebSocket, request: IncomingMessage): Promise<void> {
    const connection = new LogStreamConnection(ws, this.config.logStreamBufferBytes);
    this.connections.add(connection);
    connection.onDispose(() => {
      this.connections.delete(connection);
      this.grants.delete(connection);
    });
    ws.on('pong', () => (connection.awaitingPong = false));
    ws.on('error', () => undefined); // every error ends in 'close'
    const route = logStreamRoute(request.url)!;
    const params = new URL(request.url ?? '/', 'http://localhost').searchParams;
    const credentials: StreamCredentials = {
      appName: route.app,
      token: params.get('token') ?? undefined,
      bearer: bearerOf(request.headers.authorization),
    };
    try {
      if (route.kind === 'app') await this.openAppStream(connection, credentials, params);
      else if (route.kind === 'build')
        await this.openBuildStream(connection, { ...credentials, buildId: route.build }, params);
      else await this.openRunStream(connection, credentials, route.run, params);
    } catch (error) {
      const refusal = connection.refuse(error);
      if (!(error instanceof ProblemError)) {
        this.logger.error(`log stream of app ${route.app} failed: ${(error as Error)?.stack ?? error}`);
      } else {
        this.logger.log(`log stream refused: ${refusal.code} ${refusal.reason} (${route.kind} ${route.app})`);
      }
    }
  }

  private async openAppStream(
    connection: LogStreamConnection,
    credentials: StreamCredentials,
    params: URLSearchParams,
  ): Promise<void> {
    const grant = await this.streams.authorize(credentials);
    if (connection.closed) return;
    this.grants.set(connection, grant);
    connection.onDispose(await this.streams.acquireSlot(grant.tenantId));
    if (connection.closed) return;
    const cursor = params.get('cursor') ?? undefined;
    const feed = this.streams.appFeed(grant.app, {
      cursor,
      tail: integerParam(params, 'tail', 10_000),
      sink: { send: (message) => connection.send(message) },
    });
    connection.appId = grant.app.id;
    connection.feedStats = () => ({ queuedLines: feed.queuedLines, droppedLines: feed.droppedLines });
    connection.onDrain(() => feed.resume());
    connection.onDispose(() => feed.close());
    connection.send({
      type: 'connected',
      app: grant.app.name,
      resumedFrom: cursor ?? null,
      heartbeatMs: this.config.logStreamPingIntervalMs,
    });
    feed.start();
    // A metrics message is small and comes once an interval; one for a client that is behind is skipped.
    connection.onDispose(
      this.liveMetrics.watch(grant.app.id, (message) => {
        if (connection.bufferedBytes < LIVE_METRICS_MAX_BEHIND_BYTES) connection.send(message);
      }),
    );
    // The app's events (docs/events.md) as they are written. A tenant can make many (a scale loop), so a
    // client that is behind gets none live, like metrics: GET /v1/events keeps every one.
    connection.onDispose(
      this.liveEvents.watch(grant.app.id, (message) => {
        if (connection.bufferedBytes < LIVE_METRICS_MAX_BEHIND_BYTES) connection.send(message);
      }),
    );
    this.logger.log(`log stream opened: app ${grant.app.id} by ${grant.actor}`);
  }

  private async openBuildStream(
    connection: LogStreamConnection,
    credentials: StreamCredentials & { buildId: string },
    params: URLSearchParams,
  ): Promise<void> {
    const { grant, build } = await this.streams.authorizeBuild(credentials);
    if (connection.closed) return;
    this.grants.set(connection, grant);
    connection.onDispose(await this.streams.acquireSlot(grant.tenantId));
    if (connection.closed) return;
    const after = integerParam(params, 'after', Number.MAX_SAFE_INTEGER) ?? 0;
    const controller = new AbortController();
    connection.onDispose(() => controller.abort());
    connection.send({ type: 'connected', app: grant.app.name, build: build.id, resumedFrom: after });
    for await (const line of this.streams.followBuild(build, after, controller.signal)) {
      if (!connection.send({ type: 'lines', lines: [{ seq: line.seq, at: line.at, text: line.text }] })) {
        await connection.drained();
      }
      if (connection.closed) return;
    }
    if (connection.closed) return;
    connection.send({ type: 'end', status: await this.streams.buildStatus(build) });
    connection.close(CLOSE.normal, 'build finished');
  }

  /** A run's output lines (same frames as a build's, with `stream`), then `end` with its state and exit code. */
  private async openRunStream(
    connection: LogStreamConnection,
    credentials: StreamCredentials,
    runId: string,
    params: URLSearchParams,
  ): Promise<void> {
    const grant = await this.streams.authorize(credentials);
    const run = await this.runs.withOutput(grant.app, runId);
    if (connection.closed) return;
    this.grants.set(connection, grant);
    connection.onDispose(await this.streams.acquireSlot(grant.tenantId));
    if (connection.closed) return;
    const after = integerParam(params, 'after', Number.MAX_SAFE_INTEGER) ?? 0;
    const controller = new AbortController();
    connection.onDispose(() => controller.abort());
    connection.send({ type: 'connected', app: grant.app.name, run: run.id, resumedFrom: after });
    for await (const line of this.runs.follow(run, after, controller.signal)) {
      const frame = { seq: line.seq, at: line.at, stream: line.stream, text: line.text };
      if (!connection.send({ type: 'lines', lines: [frame] })) await connection.drained();
      if (connection.closed) return;
    }
    if (connection.closed) return;
    const ended = await this.runs.byId(run.id);
    connection.send({ type: 'end', status: ended?.state, exitCode: ended?.exitCode ?? null });
    connection.close(CLOSE.normal, 'run finished');
  }

  /**
   * Ends the streams whose opener lost standing: removed user, revoked key or suspended tenant (close 4401
   * credentials_revoked), or no logs:read any more (close 4403 permission_revoked). A failed check leaves
   * the streams open until the next one: a database hiccup does not cut every dashboard.
   */
  private async checkStanding(): Promise<void> {
    if (this.checkingStanding || this.grants.size === 0) return;
    this.checkingStanding = true;
    try {
      const byOpener = new Map<string, { grant: StreamGrant; connections: LogStreamConnection[] }>();
      for (const [connection, grant] of this.grants) {
        const key = `${grant.tenantId} ${grant.actor}`;
        const entry = byOpener.get(key) ?? { grant, connections: [] };
        entry.connections.push(connection);
        byOpener.set(key, entry);
      }
      for (const { grant, connections } of byOpener.values()) {
        const standing = await this.streams.standing(grant);
        if (standing === 'ok') continue;
        this.logger.log(`log streams of ${grant.actor} closed: ${standing}`);
        for (const connection of connections) {
          if (standing === 'revoked') connection.close(CLOSE.unauthorized, 'credentials_revoked');
          else connection.close(CLOSE.forbidden, 'permission_revoked');
        }
      }
    } catch (error) {
      this.logger.warn(`log stream standing check failed: ${(error as Error).message}`);
    } finally {
      this.checkingStanding = false;
    }
  }

  /** Pings every stream; one that did not answer the previous ping is terminated. */
  private beat(): void {
    for (const connection of this.connections) {
      if (connection.awaitingPong) {
        this.logger.log('log stream peer missed a heartbeat: terminated');
        connection.terminate();
        continue;
      }
      connection.awaitingPong = true;
      try {
        connection.ws.ping();
      } catch {
        connection.terminate();
      }
    }
  }
}

/** A non-negative integer query parameter (absent: undefined); anything else is a 400. */
function integerParam(params: URLSearchParams, name: string, max: number): number | undefined {
  const raw = params.get(name);
  if (raw === null) return undefined;
  const value = Number(raw);
  if (!/^\d{1,16}$/.test(raw) || !Number.isSafeInteger(value) || value > max) {
    throw new ProblemError(
      400,
      `invalid_${name}`,
      'Bad request',
      `${name} must be an integer from 0 to ${max}`,
    );
  }
  return value;
}

/**
 * Puts `handle` in front of the server's `upgrade` listeners for the requests `mine` claims. Other
 * listeners (a Nest WsAdapter destroys sockets of paths it has no gateway for) only see the rest; with no
 * other listener, unknown paths get a 404. Returns the undo.
 */
function routeUpgrades(
  server: Server,
  mine: (request: IncomingMessage) => boolean,
  handle: (request: IncomingMessage, socket: Duplex, head: Buffer) => void,
): () => void {
  const others = server.listeners('upgrade') as ((...args: unknown[]) => void)[];
  server.removeAllListeners('upgrade');
  const dispatch = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (mine(request)) return handle(request, socket, head);
    if (others.length === 0) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    for (const listener of others) listener.call(server, request, socket, head);
  };
  server.on('upgrade', dispatch);
  return () => {
    server.off('upgrade', dispatch);
    for (const listener of others) server.on('upgrade', listener);
  };
}
