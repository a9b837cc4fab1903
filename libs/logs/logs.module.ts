import { Module } from '@nestjs/common';
import { AppsModule } from '../apps/apps.module.js';
import { BuildsModule } from '../builds/builds.module.js';
import { BERTH_CONFIG, type BerthConfig } from '../config/config.js';
import { BERTH_KEYS, type BerthKeys } from '../config/config.module.js';
import { deriveKey } from '../crypto/master-key.js';
import { HostsModule } from '../hosts/hosts.module.js';
import { IdentityModule } from '../identity/identity.module.js';
import { AppLogReader } from './app-log-reader.js';
import { AppLogWatcher } from './app-log-watcher.js';
import { AppLogsService } from './app-logs.service.js';
import { LogHub } from './log-fanout.js';
import { LogSessionTokens } from './log-session-tokens.js';
import { LOG_HUB, LogStreamsService } from './log-streams.service.js';

/** App logs: REST reads, log sessions, and the live hub (one per process) with its container watcher. */
@Module({
  imports: [AppsModule, BuildsModule, HostsModule, IdentityModule],
  providers: [
    AppLogReader,
    AppLogWatcher,
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
  exports: [AppLogsService, LogStreamsService, LogSessionTokens],
})
export class LogsModule {}
