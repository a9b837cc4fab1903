import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WsAdapter } from '@nestjs/platform-ws';
import { Logger } from 'nestjs-pino';
import { pino, type DestinationStream } from 'pino';
import type { BerthConfig } from '../../../libs/config/index.js';
import { HostsService } from '../../../libs/hosts/index.js';
import { OperatorBootstrap } from '../../../libs/identity/index.js';
import { parseSubnetPool } from '../../../libs/networks/index.js';
import { AppModule } from './app.module.js';
import { auditContext } from './http/audit-context.js';
import { authRateLimit } from './http/auth-rate-limit.js';
import { requestBodies } from './http/request-bodies.js';
import { requestLog } from './http/request-log.js';
import { answerClientErrorsAsProblems } from './http/client-errors.js';
import { createValidationPipe } from './http/validation.js';
import { setupOpenApi } from './openapi.js';

export interface CreateAppOptions {
  config: BerthConfig;
  databaseUrl: string;
  connectDatabase?: boolean;
  /** Where JSON log lines go; stdout (buffered, written asynchronously) when unset. */
  logStream?: DestinationStream;
}

/** Builds the configured HTTP + WebSocket app; main.ts and the e2e tests both start Berth through this. */
export async function createApp(options: CreateAppOptions): Promise<NestExpressApplication> {
  // A malformed setting is refused before anything connects (the database, its LISTEN sessions): a start
  // that fails while Nest builds its providers leaves no way to close what it opened.
  parseSubnetPool({ range: options.config.tenantSubnets, subnetPrefix: options.config.tenantSubnetPrefix });
  // One destination for request lines and application logs, so their lines never interleave mid-line.
  const logStream = options.logStream ?? pino.destination({ dest: 1, sync: false });
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot({ ...options, logStream }), {
    bufferLogs: true,
    // Parsed by requestBodies below, which GET and HEAD skip.
    bodyParser: false,
    // A provider that refuses its settings (e.g. a malformed BERTH_TENANT_SUBNETS) rejects here, for the
    // caller to report, instead of Nest exiting the process.
    abortOnError: false,
  });
  try {
    await configure(app, options, logStream);
  } catch (error) {
    // A start refused by a check (an overlapping subnet pool, ...) closes what the providers opened, so
    // the caller is left with no connection, LISTEN session or timer of the app it never got.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

async function configure(
  app: NestExpressApplication,
  options: CreateAppOptions,
  logStream: DestinationStream,
): Promise<void> {
  app.useLogger(app.get(Logger));
  app.useWebSocketAdapter(new WsAdapter(app));
  app.useGlobalPipes(createValidationPipe());
  app.set('trust proxy', 'loopback');
  const requestLines = requestLog(logStream, options.config.logLevel);
  app.use(requestLines);
  app.use(requestBodies());
  app.getHttpServer().once('close', () => requestLines.flush());
  app.use(auditContext);
  app.use('/v1/auth', authRateLimit(options.config.loginRateLimitPerMinute));
  app.enableShutdownHooks();
  answerClientErrorsAsProblems(app.getHttpServer());
  setupOpenApi(app);
  if (options.connectDatabase !== false) {
    await app.get(OperatorBootstrap).ensureOperator();
    await app.get(HostsService).ensureLocalHost();
    // The start-up checks (onModuleInit) and the control loops run here rather than in listen(), so a
    // refusal is caught above.
    await app.init();
  }
}
