import { DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from '../../../libs/audit/index.js';
import { type BerthConfig, ConfigModule } from '../../../libs/config/index.js';
import { DatabaseModule } from '../../../libs/db/index.js';
import { DrainsModule } from '../../../libs/drains/index.js';
import { EventsModule } from '../../../libs/events/index.js';
import { BuildsModule } from '../../../libs/builds/index.js';
import { HostsModule } from '../../../libs/hosts/index.js';
import { MeteringModule } from '../../../libs/metering/index.js';
import { MetricsSamplingModule } from '../../../libs/metrics/index.js';
import { PlansModule } from '../../../libs/plans/index.js';
import { RetentionModule } from '../../../libs/retention/index.js';
import { ENTITIES } from '../../../libs/platform/index.js';
import { RuntimeModule } from '../../../libs/runtime/index.js';
import { WebhooksModule } from '../../../libs/webhooks/index.js';
import { loggerOptions } from '../../api/src/http/logging.js';

/** The control loops without the HTTP edge: reconciler, build runner, host monitor, usage meter, webhook
 * delivery, retention. */
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
        EventsModule,
        PlansModule,
        HostsModule,
        BuildsModule,
        RuntimeModule,
        MeteringModule,
        WebhooksModule,
        DrainsModule,
        MetricsSamplingModule,
        RetentionModule,
      ],
    };
  }
}
