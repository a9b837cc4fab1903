import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from '../../../libs/audit/audit.module.js';
import type { BerthConfig } from '../../../libs/config/config.js';
import { ConfigModule } from '../../../libs/config/config.module.js';
import { DatabaseModule } from '../../../libs/db/database.module.js';
import { BuildsModule } from '../../../libs/builds/builds.module.js';
import { HostsModule } from '../../../libs/hosts/hosts.module.js';
import { MeteringModule } from '../../../libs/metering/metering.module.js';
import { ENTITIES } from '../../../libs/platform/entities.js';
import { RuntimeModule } from '../../../libs/runtime/runtime.module.js';
import { loggerOptions } from '../../api/src/http/logging.js';

/** The control loops without the HTTP edge: reconciler, build runner, host monitor, usage meter. */
@Module({})
export class WorkerModule {
  static forRoot(options: { config: BerthConfig; databaseUrl: string }): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        ConfigModule.forRoot({ ...options.config, runWorkers: true }),
        LoggerModule.forRoot(loggerOptions(options.config)),
        DatabaseModule.forRoot({ url: options.databaseUrl, entities: ENTITIES }),
        AuditModule,
        HostsModule,
        BuildsModule,
        RuntimeModule,
        MeteringModule,
      ],
    };
  }
}
