import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/index.js';
import { BuildsModule } from '../builds/index.js';
import { BERTH_CONFIG, type BerthConfig, BERTH_KEYS, type BerthKeys } from '../config/index.js';
import { deriveKey } from '../crypto/index.js';
import { HostsModule } from '../hosts/index.js';
import { IdentityModule } from '../identity/index.js';
import { RuntimeModule } from '../runtime/index.js';
import { AppLogReader } from './app-log-reader.js';
import { LogArchiveStore } from './archive/log-archive-store.js';
import { LogArchiver } from './archive/log-archiver.js';
import { AppLogWatcher } from './app-log-watcher.js';
import { AppLogsService } from './app-logs.service.js';
import { LogHub } from './log-fanout.js';
import { LogSessionTokens } from './log-session-tokens.js';
import { LOG_HUB, LogStreamsService } from './log-streams.service.js';

/**
 * App logs: REST reads, log sessions, the live hub (one per process) with its container watcher, and the
 * archive (lines kept in PostgreSQL beyond their containers; the archiver runs where the workers run).
 */
@Module({
  imports: [AppsModule, BuildsModule, HostsModule, IdentityModule, RuntimeModule],
  providers: [
    AppLogReader,
    AppLogWatcher,
    LogArchiveStore,
    LogArchiver,
    AppLogsService,
    LogStreamsService,
    {
      provide: LOG_HUB,
      inject: [BERTH_CONFIG, AppLogWatcher],
      useFactory: (config: BerthConfig, watcher: AppLogWatcher): LogHub => {
        const hub: LogHub = new LogHub({
          lingerMs: config.logLingerMs,
          watchApp: (appId, signal) => watcher.watch(hub, appId, signal),
        });
        return hub;
      },
    },
    {
      provide: LogSessionTokens,
      inject: [BERTH_CONFIG, BERTH_KEYS],
      // Its own key, derived for this purpose only: a log-session token is never an access token.
      useFactory: (config: BerthConfig, keys: BerthKeys) =>
        new LogSessionTokens({
          key: deriveKey(keys.jwtSigningKey, 'log-sessions'),
          issuer: config.jwtIssuer,
          ttlSeconds: config.logSessionTtlSeconds,
        }),
    },
  ],
  exports: [AppLogsService, LogStreamsService, LogSessionTokens, LOG_HUB, LogArchiveStore, LogArchiver],
})
export class LogsModule {}
