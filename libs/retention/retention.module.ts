import { Module } from '@nestjs/common';
import { RunsRepositoryModule } from '../runs/index.js';
import { WebhooksModule } from '../webhooks/index.js';
import { Retention } from './retention.js';

/** The retention loop; events and audit come from their global modules. */
@Module({
  imports: [RunsRepositoryModule, WebhooksModule],
  providers: [Retention],
  exports: [Retention],
})
export class RetentionModule {}
